"""Identifier recognition and checksums, on published test vectors (BIP-173/350, EIP-55)."""

from __future__ import annotations

import hashlib

import pytest

from painpoints.choices import Chain, IdentifierKind
from painpoints.extraction import check_identifier, check_wallet, eip55, extract, keccak256

VALID_WALLETS = [
    ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", Chain.BTC),  # P2PKH
    ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", Chain.BTC),  # P2SH
    ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", Chain.BTC),  # bech32 v0 P2WPKH (BIP-173)
    ("bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3", Chain.BTC),  # v0 P2WSH
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", Chain.BTC),  # bech32m v1 (BIP-350)
    ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", Chain.ETH),  # EIP-55 vectors
    ("0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", Chain.ETH),
    ("0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", Chain.ETH),
    ("0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb", Chain.ETH),
    ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", Chain.TRON),
]

INVALID_WALLETS = [
    ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", "base58check"),  # last character changed
    ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "checksum"),
    # A v1 address with a bech32 (not bech32m) checksum: BIP-350 says invalid.
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd", "checksum"),
    ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", "EIP-55"),  # one letter's case flipped
    ("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "no EIP-55 checksum"),
    ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA", "not an Ethereum address"),
    ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u", "base58check"),
]


def test_keccak_is_not_sha3():
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert keccak256(b"").hex() != hashlib.sha3_256(b"").hexdigest()


def test_eip55_capitalises_by_the_keccak_of_the_lower_case_address():
    assert eip55("fb6916095ca1df60bb79ce92ce3ea74c37c5d359") == "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"


@pytest.mark.parametrize(("address", "chain"), VALID_WALLETS)
def test_it_verifies_valid_addresses_and_detects_their_chain(address, chain):
    checked = check_identifier(IdentifierKind.WALLET, address)
    assert (checked.chain, checked.verified, checked.note) == (chain, True, "")


@pytest.mark.parametrize(("address", "why"), INVALID_WALLETS)
def test_it_keeps_checksum_invalid_addresses_unverified_and_uncorrected(address, why):
    checked = check_identifier(IdentifierKind.WALLET, address)
    assert checked.verified is False
    assert why in checked.note
    # Never "fixed": the stored key is what was written (hex and bech32 compared in lower case).
    assert checked.value in (address, address.lower())


def test_the_same_address_in_any_case_is_one_key():
    assert check_wallet("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4").value == VALID_WALLETS[2][0]
    assert check_wallet(VALID_WALLETS[5][0]).value == VALID_WALLETS[5][0].lower()


def test_it_refuses_mixed_case_bech32():
    checked = check_wallet("bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4")
    assert not checked.verified and checked.note == "mixed case"


def test_it_finds_every_kind_in_a_customer_message():
    text = (
        "I sent 0.5 BTC to bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4 and 900 USDT to "
        "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t, then ETH to 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed "
        "(tx 0x" + "ab" * 32 + "). The site was https://www.Coinbase-Support-Help.com/login and the "
        "number +1 (415) 555-0199; they mailed from help@coinbase-support-help.com, I reply from "
        "me@gmail.com. I paid with card 4111 1111 1111 1111 and from IBAN GB82 WEST 1234 5698 7654 32."
    )
    found = {(c.kind, c.value, c.verified) for c in extract(text)}
    assert found == {
        (IdentifierKind.WALLET, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", True),
        (IdentifierKind.WALLET, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", True),
        (IdentifierKind.WALLET, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", True),
        (IdentifierKind.TX_HASH, "0x" + "ab" * 32, True),
        (IdentifierKind.WEBSITE, "coinbase-support-help.com", True),
        (IdentifierKind.PHONE, "+14155550199", True),
        (IdentifierKind.EMAIL_DOMAIN, "coinbase-support-help.com", True),
        (IdentifierKind.CARD_BIN, "411111", True),
        (IdentifierKind.BANK_ACCOUNT, "GB82WEST12345698765432", True),
    }


def test_it_never_keeps_a_whole_card_number():
    found = extract("card 4111-1111-1111-1111")
    assert [(c.kind, c.value) for c in found] == [(IdentifierKind.CARD_BIN, "411111")]
    assert all("4111111111111111" not in c.value for c in found)


def test_it_finds_an_unverified_address_in_a_message_rather_than_dropping_it():
    found = extract("wallet 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb please")
    assert [(c.kind, c.value, c.verified) for c in found] == [
        (IdentifierKind.WALLET, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", False)
    ]


def test_a_bare_64_hex_hash_is_a_tx_hash_of_unknown_chain():
    found = extract("txid " + "0f" * 32)
    assert [(c.kind, c.chain, c.value) for c in found] == [(IdentifierKind.TX_HASH, "", "0f" * 32)]


def test_order_numbers_and_amounts_are_not_card_bins():
    assert extract("Order 1234567890123 for $1,250.00 on 2026-11-12") == []


@pytest.mark.parametrize(
    ("kind", "raw", "value", "verified"),
    [
        (IdentifierKind.BANK_ACCOUNT, "GB83 WEST 1234 5698 7654 32", "GB83WEST12345698765432", False),
        (IdentifierKind.BANK_ACCOUNT, "BSB 062-000 acct ...4821", "BSB 062-000 ACCT ...4821", False),
        (IdentifierKind.PHONE, "+61 412 345 678", "+61412345678", True),
        (IdentifierKind.PHONE, "0412 345 678", "0412345678", False),
        (IdentifierKind.EMAIL_DOMAIN, "Someone@Scam-Mail.NET", "scam-mail.net", True),
        (IdentifierKind.WEBSITE, "https://www.fake-exchange.io/path?x=1", "fake-exchange.io", True),
        (IdentifierKind.DEVICE, "3F2504E0-4F89-11D3-9A0C-0305E82C3301", "3f2504e0-4f89-11d3-9a0c-0305e82c3301", True),
        (IdentifierKind.CARD_BIN, "411111", "411111", True),
        (IdentifierKind.CARD_BIN, "41", "41", False),
    ],
)
def test_each_kind_is_normalised(kind, raw, value, verified):
    checked = check_identifier(kind, raw)
    assert (checked.value, checked.verified) == (value, verified)


@pytest.mark.parametrize("raw", ["", "   ", "x" * 201, "two\nlines"])
def test_empty_or_oversized_input_is_refused(raw):
    with pytest.raises(ValueError):
        check_identifier(IdentifierKind.WALLET, raw)
