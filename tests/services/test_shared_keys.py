"""Who else holds a key: same key id on the same tenant, never another tenant's same id."""

from __future__ import annotations

from qlik_tui.services.shared_keys import holders, holders_by_key, names_of, successor_holder
from qlik_tui.store.profiles import Profile

ACME, OTHER = "https://acme.eu.qlikcloud.com", "https://other.eu.qlikcloud.com"
PROFILES = [
    Profile("a", ACME, key_id="k1"),
    Profile("b", ACME, key_id="k1", store="encrypted-file"),
    Profile("c", OTHER, key_id="k1"),  # the same id on another tenant is another key
    Profile("d", ACME, key_id="k2", renewed_from="k0"),
    Profile("e", ACME, key_id=None),
]


def test_holders_are_the_same_key_id_on_the_same_tenant_in_either_store() -> None:
    assert [p.name for p in holders(PROFILES, origin=ACME, key_id="k1")] == ["a", "b"]
    assert [p.name for p in holders(PROFILES, origin=ACME, key_id="k1", besides="a")] == ["b"]
    assert holders(PROFILES, origin=ACME, key_id=None) == ()
    assert names_of(holders(PROFILES, origin=ACME, key_id="k1")) == '"a", "b"'


def test_holders_by_key_maps_each_key_id_to_its_profiles() -> None:
    assert holders_by_key(PROFILES, origin=ACME, besides="d") == {"k1": ("a", "b")}


def test_the_successor_holder_is_the_profile_that_renewed_the_key() -> None:
    stale = Profile("old", ACME, key_id="k0")
    holder = successor_holder(PROFILES, stale)
    assert holder is not None and holder.name == "d"
    assert successor_holder(PROFILES, Profile("x", OTHER, key_id="k0")) is None
    assert successor_holder(PROFILES, Profile("y", ACME, key_id=None)) is None
