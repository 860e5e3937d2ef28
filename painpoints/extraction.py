"""Recognising case identifiers in text, and checking the ones whose format carries a checksum.

Pure functions, no database. Every identifier is normalised so that the same wallet, hash or
domain written two ways is one lookup key (lower-case hex, lower-case bech32 and domains,
digits-only phone numbers); base58 addresses are case-sensitive and kept as written.

A checksum failure is recorded, never repaired: an address with one wrong character is stored
as written and shown as *unverified*, because "correcting" it could point an investigation at
somebody else's wallet. Card numbers are never stored: only their BIN (first six digits).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, replace

from Crypto.Hash import keccak

from painpoints.choices import Chain, IdentifierKind

MAX_VALUE_LENGTH = 200


@dataclass(frozen=True)
class Checked:
    """One identifier, normalised, with whether its format (and checksum) held."""

    kind: str
    chain: str
    value: str
    verified: bool
    note: str = ""
    # As it was written in the text it was found in (``value`` is the normalised key).
    written: str = ""


# --- base58check (Bitcoin P2PKH/P2SH, TRON) -----------------------------------------------------

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {ch: i for i, ch in enumerate(_B58)}


def b58decode_check(text: str) -> bytes | None:
    """The payload of a base58check string, or None when a character or the checksum is wrong."""
    number = 0
    for ch in text:
        digit = _B58_INDEX.get(ch)
        if digit is None:
            return None
        number = number * 58 + digit
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    raw = b"\x00" * (len(text) - len(text.lstrip("1"))) + raw
    if len(raw) < 5:
        return None
    payload, checksum = raw[:-4], raw[-4:]
    if hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != checksum:
        return None
    return payload


# --- bech32 / bech32m (BIP-173, BIP-350) --------------------------------------------------------

_BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_CONST, _BECH32M_CONST = 1, 0x2BC830A3


def _bech32_polymod(values: list[int]) -> int:
    generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            check ^= generator[i] if ((top >> i) & 1) else 0
    return check


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp]


def _convertbits(data: list[int], frombits: int, tobits: int) -> list[int] | None:
    acc, bits, out, maxv = 0, 0, [], (1 << tobits) - 1
    for value in data:
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & maxv)
    if bits >= frombits or ((acc << (tobits - bits)) & maxv):
        return None
    return out


def segwit_check(address: str) -> str | None:
    """None when ``address`` is a valid mainnet segwit address, else what is wrong with it.

    Witness version 0 must use the bech32 constant and a 20- or 32-byte program; versions 1-16
    must use bech32m (BIP-350), so a v1 (taproot) address with a bech32 checksum is refused.
    """
    if address.lower() != address and address.upper() != address:
        return "mixed case"
    address = address.lower()
    pos = address.rfind("1")
    hrp, data_part = address[:pos], address[pos + 1 :]
    if hrp != "bc" or len(data_part) < 7 or len(address) > 90:
        return "not a mainnet segwit address"
    if any(ch not in _BECH32_CHARSET for ch in data_part):
        return "invalid character"
    data = [_BECH32_CHARSET.find(ch) for ch in data_part]
    const = _bech32_polymod(_hrp_expand(hrp) + data)
    version = data[0]
    expected = _BECH32_CONST if version == 0 else _BECH32M_CONST
    if const != expected:
        return "checksum does not match"
    program = _convertbits(data[1:-6], 5, 8)
    if program is None or not 2 <= len(program) <= 40 or version > 16:
        return "invalid witness program"
    if version == 0 and len(program) not in (20, 32):
        return "invalid witness program length"
    return None


# --- Ethereum (EIP-55) ---------------------------------------------------------------------------


def keccak256(data: bytes) -> bytes:
    # Keccak-256 as Ethereum uses it; hashlib.sha3_256 is the later NIST padding and differs.
    digest = keccak.new(digest_bits=256)
    digest.update(data)
    return digest.digest()


def eip55(address_hex: str) -> str:
    """The EIP-55 mixed-case form of a 40-hex-digit address (no 0x)."""
    lower = address_hex.lower()
    hashed = keccak256(lower.encode("ascii")).hex()
    return "0x" + "".join(ch.upper() if ch.isalpha() and int(hashed[i], 16) >= 8 else ch for i, ch in enumerate(lower))


# --- per kind --------------------------------------------------------------------------------------

_HEX40 = re.compile(r"^0x[0-9a-fA-F]{40}$")
_HEX64 = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def check_wallet(raw: str, chain: str = "") -> Checked:
    """A wallet address, its chain (detected when not given) and whether its checksum holds."""
    text = raw.strip()
    if not chain:
        chain = detect_chain(text)
    if chain == Chain.ETH:
        if not _HEX40.match(text):
            return Checked(IdentifierKind.WALLET, chain, text.lower(), False, "not an Ethereum address (0x + 40 hex)")
        body = text[2:]
        if body == body.lower() or body == body.upper():
            return Checked(IdentifierKind.WALLET, chain, text.lower(), False, "no EIP-55 checksum (single case)")
        if eip55(body) != text:
            return Checked(IdentifierKind.WALLET, chain, text.lower(), False, "EIP-55 checksum does not match")
        return Checked(IdentifierKind.WALLET, chain, text.lower(), True)
    if chain == Chain.TRON:
        payload = b58decode_check(text)
        if payload is None or len(payload) != 21 or payload[0] != 0x41:
            return Checked(IdentifierKind.WALLET, chain, text, False, "base58check checksum or length does not match")
        return Checked(IdentifierKind.WALLET, chain, text, True)
    if chain == Chain.BTC:
        if text.lower().startswith("bc1"):
            problem = segwit_check(text)
            return Checked(IdentifierKind.WALLET, chain, text.lower(), problem is None, problem or "")
        payload = b58decode_check(text)
        if payload is None or len(payload) != 21 or payload[0] not in (0x00, 0x05):
            return Checked(IdentifierKind.WALLET, chain, text, False, "base58check checksum or length does not match")
        return Checked(IdentifierKind.WALLET, chain, text, True)
    return Checked(IdentifierKind.WALLET, chain, text, False, "chain not recognised")


def detect_chain(text: str) -> str:
    if text.lower().startswith("0x"):
        return Chain.ETH
    if text.startswith("T") and len(text) == 34:
        return Chain.TRON
    if text.lower().startswith("bc1") or (text[:1] in ("1", "3") and 25 <= len(text) <= 35):
        return Chain.BTC
    return Chain.NONE


def check_tx_hash(raw: str, chain: str = "") -> Checked:
    """A transaction hash: 32 bytes of hex. ``0x`` marks an EVM hash; bare hex is Bitcoin or
    TRON style and says nothing of its chain. Hashes carry no checksum: a well-formed one is
    verified as to form only."""
    text = raw.strip()
    if not _HEX64.match(text):
        return Checked(IdentifierKind.TX_HASH, chain, text.lower(), False, "not a 64-hex-digit transaction hash")
    if text.lower().startswith("0x"):
        return Checked(IdentifierKind.TX_HASH, chain or Chain.ETH, text.lower(), True)
    return Checked(IdentifierKind.TX_HASH, chain, text.lower(), True)


def check_iban(raw: str) -> Checked:
    """An IBAN, spaces removed and upper-cased; verified by its ISO 13616 mod-97 check digits."""
    text = re.sub(r"\s+", "", raw).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", text):
        # Not an IBAN: a domestic account fragment ("BSB 062-000 acct ...1234"), kept as written.
        return Checked(IdentifierKind.BANK_ACCOUNT, "", re.sub(r"\s+", " ", raw.strip()).upper(), False, "not an IBAN")
    number = int("".join(str(int(ch, 36)) for ch in text[4:] + text[:4]))
    if number % 97 != 1:
        return Checked(IdentifierKind.BANK_ACCOUNT, "", text, False, "IBAN check digits do not match")
    return Checked(IdentifierKind.BANK_ACCOUNT, "", text, True)


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def check_card_bin(raw: str) -> Checked:
    """A card BIN (first 6 digits). A whole card number is cut to its BIN, never kept."""
    digits = re.sub(r"[\s-]", "", raw)
    if not digits.isdigit() or not (6 <= len(digits) <= 8 or 12 <= len(digits) <= 19):
        return Checked(IdentifierKind.CARD_BIN, "", digits[:8], False, "not a card BIN (6-8 digits)")
    if len(digits) >= 12:
        return Checked(
            IdentifierKind.CARD_BIN,
            "",
            digits[:6],
            luhn_ok(digits),
            "" if luhn_ok(digits) else "card number fails the Luhn check",
        )
    return Checked(IdentifierKind.CARD_BIN, "", digits, True)


def check_phone(raw: str) -> Checked:
    """A phone number as ``+`` and digits (E.164 length 8-15); other shapes stay unverified."""
    digits = re.sub(r"\D", "", raw)
    if raw.strip().startswith("+") and 8 <= len(digits) <= 15:
        return Checked(IdentifierKind.PHONE, "", f"+{digits}", True)
    return Checked(
        IdentifierKind.PHONE, "", digits or raw.strip(), False, "not an international number (+ country code)"
    )


def check_domain(raw: str, kind: str) -> Checked:
    text = raw.strip().lower()
    if kind == IdentifierKind.EMAIL_DOMAIN and "@" in text:
        text = text.rsplit("@", 1)[1]
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text).split("/", 1)[0].split(":", 1)[0].rstrip(".")
    if text.startswith("www."):
        text = text[4:]
    try:
        text = text.encode("idna").decode("ascii")
    except UnicodeError:
        return Checked(kind, "", text, False, "not a domain name")
    if not _DOMAIN.match(text):
        return Checked(kind, "", text, False, "not a domain name")
    return Checked(kind, "", text, True)


def check_device(raw: str) -> Checked:
    text = raw.strip()
    try:
        return Checked(IdentifierKind.DEVICE, "", str(uuid.UUID(text)), True)
    except ValueError:
        # Device fingerprints from other vendors have no fixed shape; compared exactly.
        return Checked(IdentifierKind.DEVICE, "", text.lower(), True)


def check_identifier(kind: str, raw: str, chain: str = "") -> Checked:
    """Normalise and check one identifier an agent typed. Raises ValueError for empty or
    oversized input only: anything else is kept, unverified when its format does not hold."""
    text = (raw or "").strip()
    if not text:
        raise ValueError("Enter the identifier.")
    if len(text) > MAX_VALUE_LENGTH or any(ch in text for ch in "\r\n\t\x00"):
        raise ValueError(f"An identifier is one line of at most {MAX_VALUE_LENGTH} characters.")
    if kind == IdentifierKind.WALLET:
        return check_wallet(text, chain)
    if kind == IdentifierKind.TX_HASH:
        return check_tx_hash(text, chain)
    if kind == IdentifierKind.BANK_ACCOUNT:
        return check_iban(text)
    if kind == IdentifierKind.CARD_BIN:
        return check_card_bin(text)
    if kind == IdentifierKind.PHONE:
        return check_phone(text)
    if kind in (IdentifierKind.EMAIL_DOMAIN, IdentifierKind.WEBSITE):
        return check_domain(text, kind)
    if kind == IdentifierKind.DEVICE:
        return check_device(text)
    raise ValueError("Choose what kind of identifier this is.")


# --- finding identifiers in free text -------------------------------------------------------------

# Candidates are cut on word boundaries; each is then checked by the functions above, so a
# shape that merely looks right is stored unverified rather than dropped or repaired.
_ETH_ADDRESS = re.compile(r"(?<![0-9a-zA-Z])0x[0-9a-fA-F]{40}(?![0-9a-zA-Z])")
_TX_HASH = re.compile(r"(?<![0-9a-zA-Z])(?:0x)?[0-9a-fA-F]{64}(?![0-9a-zA-Z])")
_BECH32 = re.compile(r"(?<![0-9a-zA-Z])(?:bc1|BC1)[02-9ac-hj-np-zAC-HJ-NP-Z]{6,87}(?![0-9a-zA-Z])")
_BASE58_BTC = re.compile(r"(?<![0-9a-zA-Z])[13][1-9A-HJ-NP-Za-km-z]{25,34}(?![0-9a-zA-Z])")
_TRON = re.compile(r"(?<![0-9a-zA-Z])T[1-9A-HJ-NP-Za-km-z]{33}(?![0-9a-zA-Z])")
_IBAN = re.compile(r"(?<![0-9A-Za-z])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?![0-9A-Za-z])")
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_PHONE = re.compile(r"(?<![\w+])\+\d[\d ()-]{6,18}\d(?!\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_URL = re.compile(r"(?:https?://|www\.)([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)", re.IGNORECASE)
# Mailbox providers shared by millions of unrelated customers: linking on them says nothing.
COMMON_MAIL_DOMAINS = frozenset(
    "gmail.com googlemail.com yahoo.com outlook.com hotmail.com live.com icloud.com me.com aol.com "
    "proton.me protonmail.com gmx.com mail.com bigpond.com optusnet.com.au example.com example.org "
    "example.net".split()
)


def extract(text: str) -> list[Checked]:
    """Every identifier found in ``text``, each once, in the order first seen."""
    found: dict[tuple[str, str], Checked] = {}
    taken: list[tuple[int, int]] = []

    def add(checked: Checked, span: tuple[int, int]) -> None:
        taken.append(span)
        # Addresses and hashes are shown as written (their case carries the checksum); the rest
        # as normalised (a URL's path or a phone's punctuation says nothing more).
        written = (
            text[span[0] : span[1]].strip() if checked.kind in (IdentifierKind.WALLET, IdentifierKind.TX_HASH) else ""
        )
        found.setdefault((checked.kind, checked.value), replace(checked, written=written))

    def free(span: tuple[int, int]) -> bool:
        return all(span[1] <= start or span[0] >= end for start, end in taken)

    for match in _TX_HASH.finditer(text):
        add(check_tx_hash(match.group()), match.span())
    for match in _ETH_ADDRESS.finditer(text):
        if free(match.span()):
            add(check_wallet(match.group(), Chain.ETH), match.span())
    for match in _BECH32.finditer(text):
        if free(match.span()):
            add(check_wallet(match.group(), Chain.BTC), match.span())
    for match in _TRON.finditer(text):
        if free(match.span()):
            add(check_wallet(match.group(), Chain.TRON), match.span())
    for match in _BASE58_BTC.finditer(text):
        if free(match.span()):
            add(check_wallet(match.group(), Chain.BTC), match.span())
    for match in _IBAN.finditer(text):
        if free(match.span()):
            checked = check_iban(match.group())
            if checked.verified:
                add(checked, match.span())
    for match in _CARD.finditer(text):
        # Only numbers that pass Luhn: order numbers and amounts would otherwise become "BINs".
        digits = re.sub(r"\D", "", match.group())
        if free(match.span()) and 12 <= len(digits) <= 19 and luhn_ok(digits):
            add(check_card_bin(digits), match.span())
    for match in _PHONE.finditer(text):
        if free(match.span()):
            checked = check_phone(match.group())
            if checked.verified:
                add(checked, match.span())
    for match in _EMAIL.finditer(text):
        checked = check_domain(match.group(1), IdentifierKind.EMAIL_DOMAIN)
        if checked.verified and checked.value not in COMMON_MAIL_DOMAINS:
            add(checked, match.span())
    for match in _URL.finditer(text):
        checked = check_domain(match.group(1), IdentifierKind.WEBSITE)
        if checked.verified:
            add(checked, match.span())
    return list(found.values())
