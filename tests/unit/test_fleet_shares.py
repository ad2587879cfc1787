"""How a distributed run's hosts are cut into the shares workers take."""

from __future__ import annotations

from fleet.queue import MAX_SHARE_HOSTS, queueing_lock, shares


def test_a_large_host_is_a_share_of_its_own_and_small_ones_are_gathered() -> None:
    hosts = [("big.kz", 900), ("a.kz", 3), ("b.kz", 250), ("c.kz", 260), ("d.kz", 1)]
    found = shares(hosts, 500)
    assert found == [["big.kz"], ["b.kz", "c.kz"], ["a.kz", "d.kz"]]  # largest first
    assert sorted(host for share in found for host in share) == sorted(h for h, _ in hosts)


def test_fifty_hosts_of_forty_targets_make_four_shares() -> None:
    hosts = [(f"127.0.1.{n}", 40) for n in range(1, 51)]
    found = shares(hosts, 500)
    assert [len(share) for share in found] == [13, 13, 13, 11]
    assert len({host for share in found for host in share}) == 50


def test_a_share_never_holds_more_hosts_than_leases_allow() -> None:
    hosts = [(f"h{n}.kz", 1) for n in range(250)]
    found = shares(hosts, 500)
    assert [len(share) for share in found] == [MAX_SHARE_HOSTS, MAX_SHARE_HOSTS, 50]


def test_no_hosts_no_shares_and_the_lock_names_the_run_and_its_hosts() -> None:
    assert shares([], 500) == []
    assert queueing_lock(7, ["b.kz", "a.kz"]) == queueing_lock(7, ["a.kz", "b.kz"])
    assert queueing_lock(7, ["a.kz"]) != queueing_lock(8, ["a.kz"])
    assert queueing_lock(7, ["a.kz"]) != queueing_lock(7, ["a.kz", "b.kz"])
