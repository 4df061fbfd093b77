"""Where a webhook may be sent: the address checks that keep site keys from using the
workers to reach inside the network (SSRF), and the checked address to connect to.

A site key chooses the URL, and the workers sit inside the deployment's network, so
an unchecked URL would let a key make the workers POST to Redis, an admin port or a
cloud metadata service. Only public addresses are allowed, unless the operator lists
an internal receiver in ``WEBHOOK_ALLOWED_HOSTS``.

The URL is checked when it is registered (a clear answer for the site) and again at
every send, after resolving the name, because DNS may answer differently by then
(rebinding). The send connects to the very address that was checked; the name still
goes in the Host header and in TLS (SNI and the certificate check).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]

# Cloud metadata and platform endpoints. Most sit in ranges refused anyway (link-local,
# private); Azure's and Oracle's are in ranges Python counts as global.
METADATA_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "169.254.169.254/32",   # AWS, GCP, Azure, OpenStack, DigitalOcean instance metadata
    "169.254.170.2/32",     # AWS ECS task metadata
    "168.63.129.16/32",     # Azure wire server
    "192.0.0.0/24",         # IETF protocol assignments; Oracle Cloud metadata is 192.0.0.192
    "100.100.100.200/32",   # Alibaba Cloud metadata
    "fd00:ec2::254/128",    # AWS instance metadata over IPv6
))
# The NAT64 well-known prefix carries an IPv4 address in its last 32 bits.
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class TargetRefused(ValueError):
    """The URL or the address its host resolves to may not receive webhooks."""


@dataclass(frozen=True)
class Target:
    """A callback URL taken apart once, so that what is checked is what is used."""

    scheme: str
    host: str          # lower case, no brackets, no trailing dot
    port: int
    path: str          # path and query, as sent in the request line
    host_header: str   # the Host header: the name (and the port when not the default)

    @property
    def literal(self) -> IPAddress | None:
        return literal_ip(self.host)


def parse_target(url: str) -> Target:
    """Take a callback URL apart; TargetRefused when it is not a plain http(s) URL with a host."""
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise TargetRefused("Must not contain white space or control characters.")
    try:
        parts = urlsplit(url)
        raw_host = parts.hostname
        port = parts.port
    except ValueError as exc:
        raise TargetRefused("Not a valid URL.") from exc
    if parts.scheme not in ("http", "https") or not raw_host:
        raise TargetRefused("Must be an http:// or https:// URL with a host.")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("Must not carry credentials; the signature authenticates us.")
    if parts.fragment:
        raise TargetRefused("Must not have a #fragment.")
    if not raw_host.isascii():
        # The Host header and TLS need the ASCII form; asking for it keeps one spelling.
        raise TargetRefused("Write an internationalised host name in its ASCII (xn--) form.")
    host = raw_host.rstrip(".")
    if not host:
        raise TargetRefused("Must be an http:// or https:// URL with a host.")
    default_port = 443 if parts.scheme == "https" else 80
    port = default_port if port is None else port
    if port == 0:
        raise TargetRefused("Port 0 cannot be connected to.")
    name = f"[{host}]" if ":" in host else host
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme=parts.scheme, host=host, port=port, path=path,
                  host_header=name if port == default_port else f"{name}:{port}")


def literal_ip(host: str) -> IPAddress | None:
    """The address a host that is an IP literal stands for, in any spelling the resolver
    accepts (decimal ``2130706433``, octal ``0177.0.0.1``, hex, short ``127.1``), else None."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if ":" in host:
        return None
    try:
        # inet_aton is what getaddrinfo uses for IPv4 literals, old spellings included.
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def is_public(ip: IPAddress) -> bool:
    """True for an address on the public internet; False for loopback, private, link-local,
    multicast, unspecified, reserved, shared (CGNAT) and metadata addresses, also when an
    IPv6 address carries one of those (IPv4-mapped, NAT64, 6to4, Teredo)."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public(ip.ipv4_mapped)
        if ip in NAT64:
            return is_public(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        embedded = [ip.sixtofour] if ip.sixtofour is not None else []
        if ip.teredo is not None:
            embedded.extend(ip.teredo)
        if any(not is_public(v4) for v4 in embedded):
            return False
        if ip.scope_id or ip.is_site_local:
            return False
    if (not ip.is_global or ip.is_private or ip.is_loopback or ip.is_link_local
            or ip.is_multicast or ip.is_unspecified or ip.is_reserved):
        return False
    return not any(ip in net for net in METADATA_NETWORKS if net.version == ip.version)


@dataclass(frozen=True)
class _Entry:
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None
    name: str | None
    port: int | None


class AllowList:
    """Internal receivers the operator allows (``WEBHOOK_ALLOWED_HOSTS``).

    An entry is a host name, an IP address or a CIDR network, each with an optional
    ``:port`` (``[v6]:port`` for IPv6). A name entry trusts whatever that name resolves
    to (the operator vouches for its DNS); an address or network entry allows those
    addresses, whatever name led to them.
    """

    def __init__(self, spec: str) -> None:
        self.entries = tuple(_parse_entry(item.strip()) for item in spec.split(",") if item.strip())

    def __bool__(self) -> bool:
        return bool(self.entries)

    def allows(self, target: Target, ip: IPAddress) -> bool:
        for entry in self.entries:
            if entry.port is not None and entry.port != target.port:
                continue
            if entry.name is not None and entry.name == target.host.lower():
                return True
            if entry.network is not None and entry.network.version == ip.version and ip in entry.network:
                return True
        return False


def _parse_entry(item: str) -> _Entry:
    problem = ValueError(f"WEBHOOK_ALLOWED_HOSTS: {item!r} is not a host, host:port, address or "
                         "CIDR network")
    host, port = item, None
    if item.startswith("["):
        inner, bracket, rest = item[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise problem
        host, port_text = inner, rest[1:] if rest else None
        if port_text is not None:
            port = _port(port_text, problem)
    elif item.count(":") == 1:
        host, port_text = item.split(":")
        port = _port(port_text, problem)
    try:
        return _Entry(network=ipaddress.ip_network(host, strict=False), name=None, port=port)
    except ValueError:
        pass
    name = host.lower().rstrip(".")
    if not name or "/" in name or ":" in name or not all(c.isalnum() or c in "-._" for c in name):
        raise problem
    return _Entry(network=None, name=name, port=port)


def _port(text: str, problem: ValueError) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise problem
    return int(text)


@lru_cache(maxsize=8)
def allow_list(spec: str) -> AllowList:
    """The parsed allow list of a setting's value (parsed once per process)."""
    return AllowList(spec)


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host`` (IPv4 and IPv6)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


REFUSED = ("The receiver's address is loopback, private, link-local, multicast, reserved or a "
           "cloud metadata address; webhooks go to public addresses only, unless "
           "WEBHOOK_ALLOWED_HOSTS lists the receiver.")


def check_address(target: Target, ip: IPAddress, allowed: AllowList) -> None:
    if not is_public(ip) and not allowed.allows(target, ip):
        raise TargetRefused(REFUSED)


def resolve_checked(target: Target, allowed: AllowList,
                    resolver: Resolver = system_resolver) -> list[IPAddress]:
    """The addresses to connect to, every one checked. A name with any refused address is
    refused as a whole: a name that mixes public and internal answers is an attack, not
    a receiver. OSError (e.g. socket.gaierror) when the name does not resolve."""
    literal = target.literal
    addresses = [literal] if literal is not None else [
        ipaddress.ip_address(a) for a in resolver(target.host, target.port)]
    if not addresses:
        raise OSError(f"no address for {target.host}")
    for ip in addresses:
        check_address(target, ip, allowed)
    return addresses


def check_registration(url: str, allowed: AllowList, resolver: Resolver = system_resolver) -> Target:
    """Refuse a URL that cannot be delivered to safely (TargetRefused). A name that does not
    resolve from here is accepted: the workers' DNS may differ, and every send checks again."""
    target = parse_target(url)
    try:
        resolve_checked(target, allowed, resolver)
    except (OSError, UnicodeError):
        # Not resolvable from here (TargetRefused is neither, so it goes to the caller).
        pass
    return target
