"""Interface selection: only addresses another device on the LAN could reach are offered."""

from __future__ import annotations

from lanboard import netinfo
from lanboard.netinfo import Candidate, Interface, select, skip_reason

#: A laptop with everything a classroom machine might carry, in the OS's order.
LAPTOP = [
    Candidate("lo", "127.0.0.1"),
    Candidate("wlan0", "192.168.1.23"),
    Candidate("eth0", "10.0.0.7"),
    Candidate("docker0", "172.17.0.1"),
    Candidate("br-3f2a9c1d", "172.18.0.1"),
    Candidate("veth12ab", "169.254.3.4"),
    Candidate("virbr0", "192.168.122.1"),
    Candidate("vboxnet0", "192.168.56.1"),
    Candidate("tun0", "10.8.0.2"),
    Candidate("tap1", "10.9.0.2"),
    Candidate("wg0", "10.66.0.2"),
    Candidate("utun3", "10.7.0.1"),
    Candidate("ppp0", "10.64.64.64"),
    Candidate("tailscale0", "100.101.102.103"),
    Candidate("en5", "169.254.10.10"),
    Candidate("br0", "192.168.50.2"),
]


def test_serving_everywhere_picks_only_real_lan_interfaces() -> None:
    assert select("0.0.0.0", LAPTOP) == [
        Interface("wlan0", "192.168.1.23"),
        Interface("eth0", "10.0.0.7"),
        Interface("br0", "192.168.50.2"),  # a plain bridge is how many Linux boxes reach the LAN
    ]


def test_each_skipped_interface_says_why() -> None:
    reasons = {c.name: skip_reason(c) for c in LAPTOP}
    assert reasons["lo"] == "loopback"
    assert reasons["en5"] == reasons["veth12ab"] == "link-local"
    for bridge in ("docker0", "br-3f2a9c1d", "virbr0", "vboxnet0"):
        assert reasons[bridge] == "container or VM bridge", bridge
    for vpn in ("tun0", "tap1", "wg0", "utun3", "ppp0", "tailscale0"):
        assert reasons[vpn] == "VPN or tunnel", vpn
    assert reasons["wlan0"] is None


def test_windows_adapters_are_told_apart_by_their_description() -> None:
    guid = "{4D36E972-E325-11CE-BFC1-08002BE10318}"
    found = [
        Candidate(guid, "192.168.0.10", "Intel(R) Wi-Fi 6 AX201 160MHz"),
        Candidate(guid + "1", "10.8.0.6", "TAP-Windows Adapter V9"),
        Candidate(guid + "2", "172.29.0.1", "Hyper-V Virtual Ethernet Adapter"),
        Candidate(guid + "3", "172.24.0.1", "vEthernet (WSL)"),
        Candidate(guid + "4", "10.2.0.2", "WireGuard Tunnel"),
    ]
    assert select("0.0.0.0", found) == [Interface(guid, "192.168.0.10")]


def test_shared_address_space_counts_as_vpn_whatever_the_name() -> None:
    assert skip_reason(Candidate("eth1", "100.90.1.2")) == "VPN (shared address space)"
    assert skip_reason(Candidate("eth1", "100.128.0.1")) is None  # just outside 100.64/10


def test_an_address_on_two_interfaces_is_listed_once() -> None:
    found = [Candidate("eth0", "192.168.1.5"), Candidate("eth0:1", "192.168.1.5")]
    assert select("", found) == [Interface("eth0", "192.168.1.5")]


def test_a_host_naming_one_address_is_honoured_even_on_a_skipped_interface() -> None:
    assert select("172.17.0.1", LAPTOP) == [Interface("docker0", "172.17.0.1")]
    assert select("10.0.0.7", LAPTOP) == [Interface("eth0", "10.0.0.7")]
    assert select("127.0.0.1", LAPTOP) == [Interface("lo", "127.0.0.1")]
    assert select("localhost", LAPTOP) == [Interface("lo", "127.0.0.1")]
    # An address this machine does not have (yet): still the one to serve on.
    assert select("10.1.2.3", LAPTOP) == [Interface("", "10.1.2.3")]


def test_no_lan_at_all_leaves_nothing_to_offer() -> None:
    assert select("0.0.0.0", [Candidate("lo", "127.0.0.1"), Candidate("docker0", "172.17.0.1")]) \
        == []


def test_urls_list_lan_addresses_first_then_the_local_one() -> None:
    lan = [Interface("wlan0", "192.168.1.23"), Interface("eth0", "10.0.0.7")]
    assert netinfo.urls("0.0.0.0", 8080, lan) == [
        "http://192.168.1.23:8080/", "http://10.0.0.7:8080/", "http://127.0.0.1:8080/"]
    assert netinfo.urls("10.0.0.7", 8080, [Interface("eth0", "10.0.0.7")]) == [
        "http://10.0.0.7:8080/"]
    assert netinfo.urls("127.0.0.1", 9000, [Interface("lo", "127.0.0.1")]) == [
        "http://127.0.0.1:9000/"]
    assert netinfo.urls("localhost", 9000, [Interface("lo", "127.0.0.1")]) == [
        "http://127.0.0.1:9000/"]


def test_the_old_signatures_still_work_on_this_machine() -> None:
    """cli.py and others call these without interface lists; they read the real OS list."""
    assert netinfo.lan_addresses("127.0.0.1") == ["127.0.0.1"]
    everywhere = netinfo.lan_addresses()
    assert all(skip_reason(Candidate("x", a)) is None for a in everywhere)
    assert netinfo.urls("0.0.0.0", 1234)[-1] == "http://127.0.0.1:1234/"
    assert all(c.address.count(".") == 3 for c in netinfo.candidates())


def test_loopback_hosts() -> None:
    assert netinfo.is_loopback("127.0.0.1") and netinfo.is_loopback("127.1.2.3")
    assert netinfo.is_loopback("localhost") and netinfo.is_loopback("::1")
    assert not netinfo.is_loopback("0.0.0.0") and not netinfo.is_loopback("10.0.0.1")
    assert not netinfo.is_loopback("myhost")
