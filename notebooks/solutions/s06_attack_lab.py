"""Solutions to the *On your own* exercises of notebook 06, the forged-callback lab.

tests/test_attacks_exercises.py proves that each function passes its check.
"""

from __future__ import annotations

import ipaddress
import urllib.parse

# Each attack below succeeds when exactly these switches, one at a time, are insecure.
SUCCEEDS_WITHOUT = {
    "client-report-i-paid": {"trust_client_report"},
    "attacker-key-real-serial": {"signature"},
    "attacker-certificate-own-serial": {"signature", "serial_allow_list"},
    "replay-in-window": {"exactly_once"},
    "other-merchant-account": {"business_checks"},
    "signature-type-downgrade": set(),
    "stale-replay": set(),
}


def is_loopback_target(url):
    """Return True only for an http:// URL whose host is localhost or a literal loopback address."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme != "http" or not parsed.hostname:
        return False
    host = parsed.hostname
    if host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return False
    return address.is_loopback


def verdict(statuses, before, after):
    """Return "succeeded" if any watched order changed, "harmless" on any 2xx, else "rejected"."""
    if any(before[number] != after.get(number) for number in before):
        return "succeeded"
    if any(200 <= status < 300 for status in statuses):
        return "harmless"
    return "rejected"


def succeeds_without(attack_name):
    """Return the switches that, each switched alone, let the attack change an order."""
    return set(SUCCEEDS_WITHOUT[attack_name])
