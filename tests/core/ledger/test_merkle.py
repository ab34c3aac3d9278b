"""Tests for the RFC 6962 / RFC 9162 Merkle tree and its proof verifiers."""

from __future__ import annotations

import hashlib

import pytest

from accord.core.ledger.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

# ---------------------------------------------------------------------------------------------
# Published reference vectors, verbatim from github.com/transparency-dev/merkle (the Merkle code
# split out of Trillian): testonly/constants.go (LeafInputs, NodeHashes, RootHashes) and
# proof/verify_test.go (inclusionProofs, consistencyProofs). In inclusionProofs the Go "leaf"
# field is 1-based (the Go test uses p.leaf-1), so it is converted to a 0-based index below.
# ---------------------------------------------------------------------------------------------

LEAF_INPUTS = [
    bytes.fromhex(""),
    bytes.fromhex("00"),
    bytes.fromhex("10"),
    bytes.fromhex("2021"),
    bytes.fromhex("3031"),
    bytes.fromhex("40414243"),
    bytes.fromhex("5051525354555657"),
    bytes.fromhex("606162636465666768696a6b6c6d6e6f"),
]

NODE_HASHES = [
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    [
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ],
]

# Indexed by tree size, starting from the empty tree.
ROOT_HASHES = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]

# (1-based leaf as in the Go source, tree size, proof)
INCLUSION_PROOFS = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        2,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]

# (old size, new size, proof)
CONSISTENCY_PROOFS = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]


def _hexes(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


def _reference_tree(size: int = 8) -> MerkleTree:
    return MerkleTree.from_entries(LEAF_INPUTS[:size])


# ---------------------------------------------------------------------------------------------
# Independent naive implementation: RFC 9162 §2.1.1 (MTH), §2.1.3.1 (PATH), §2.1.4.1
# (PROOF/SUBPROOF), transcribed recursively on lists of entries, sharing no code with merkle.py.
# ---------------------------------------------------------------------------------------------


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def naive_mth(d: list[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return _sha(b"")
    if n == 1:
        return _sha(b"\x00" + d[0])
    k = _k(n)
    return _sha(b"\x01" + naive_mth(d[:k]) + naive_mth(d[k:]))


def naive_path(m: int, d: list[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*naive_path(m, d[:k]), naive_mth(d[k:])]
    return [*naive_path(m - k, d[k:]), naive_mth(d[:k])]


def naive_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [naive_mth(d)]
    k = _k(n)
    if m <= k:
        return [*naive_subproof(m, d[:k], b), naive_mth(d[k:])]
    return [*naive_subproof(m - k, d[k:], False), naive_mth(d[:k])]


def naive_proof(m: int, d: list[bytes]) -> list[bytes]:
    return naive_subproof(m, d, True)


MAX_CROSS_CHECK = 70
ENTRIES = [f"entry-{i}".encode() for i in range(MAX_CROSS_CHECK)]


@pytest.fixture(scope="module")
def big_tree() -> MerkleTree:
    return MerkleTree.from_entries(ENTRIES)


# ---------------------------------------------------------------------------------------------
# Hashing and the reference vectors
# ---------------------------------------------------------------------------------------------


def test_leaf_and_node_hash_use_rfc6962_domain_separation() -> None:
    assert leaf_hash(b"") == bytes.fromhex(NODE_HASHES[0][0])
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    left, right = bytes(range(32)), bytes(range(32, 64))
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert leaf_hash(b"x") != hashlib.sha256(b"x").digest()


def test_empty_tree_root_is_sha256_of_nothing() -> None:
    tree = MerkleTree()
    assert tree.size == 0
    assert tree.root() == EMPTY_ROOT == bytes.fromhex(ROOT_HASHES[0])


@pytest.mark.parametrize("size", range(len(ROOT_HASHES)))
def test_reference_roots_incrementally(size: int) -> None:
    tree = MerkleTree()
    for data in LEAF_INPUTS[:size]:
        tree.append_entry(data)
    assert tree.root().hex() == ROOT_HASHES[size]


def test_reference_roots_for_every_historical_size() -> None:
    tree = _reference_tree()
    assert [tree.root(size).hex() for size in range(9)] == ROOT_HASHES


def test_reference_node_hashes_are_the_stored_complete_subtrees() -> None:
    tree = _reference_tree()
    for level, hashes in enumerate(NODE_HASHES):
        width = 1 << level
        for i, expected in enumerate(hashes):
            # A complete subtree is a prefix tree shifted: check via its own tree of leaves.
            sub = MerkleTree.from_entries(LEAF_INPUTS[i * width : (i + 1) * width])
            assert sub.root().hex() == expected
            assert tree._node(level, i).hex() == expected


@pytest.mark.parametrize(("leaf", "size", "proof"), INCLUSION_PROOFS)
def test_reference_inclusion_proofs(leaf: int, size: int, proof: list[str]) -> None:
    tree = _reference_tree()
    index = leaf - 1
    assert tree.inclusion_proof(index, size) == _hexes(proof)
    root = bytes.fromhex(ROOT_HASHES[size])
    assert verify_inclusion(leaf_hash(LEAF_INPUTS[index]), index, size, _hexes(proof), root)


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_PROOFS)
def test_reference_consistency_proofs(old: int, new: int, proof: list[str]) -> None:
    tree = _reference_tree()
    assert tree.consistency_proof(old, new) == _hexes(proof)
    old_root, new_root = bytes.fromhex(ROOT_HASHES[old]), bytes.fromhex(ROOT_HASHES[new])
    assert verify_consistency(old, new, old_root, new_root, _hexes(proof))


# ---------------------------------------------------------------------------------------------
# Cross-check against the naive RFC definitions for every size, index and size pair
# ---------------------------------------------------------------------------------------------


def test_roots_match_naive_mth_for_all_sizes(big_tree: MerkleTree) -> None:
    for size in range(MAX_CROSS_CHECK + 1):
        assert big_tree.root(size) == naive_mth(ENTRIES[:size]), size


def test_inclusion_proofs_match_naive_path_for_all_sizes_and_indices(big_tree: MerkleTree) -> None:
    for size in range(1, MAX_CROSS_CHECK + 1):
        prefix = ENTRIES[:size]
        root = naive_mth(prefix)
        for index in range(size):
            proof = big_tree.inclusion_proof(index, size)
            assert proof == naive_path(index, prefix), (index, size)
            assert verify_inclusion(leaf_hash(ENTRIES[index]), index, size, proof, root)


def test_consistency_proofs_match_naive_proof_for_all_size_pairs(big_tree: MerkleTree) -> None:
    roots = [naive_mth(ENTRIES[:n]) for n in range(MAX_CROSS_CHECK + 1)]
    for new in range(1, MAX_CROSS_CHECK + 1):
        for old in range(1, new):
            proof = big_tree.consistency_proof(old, new)
            assert proof == naive_proof(old, ENTRIES[:new]), (old, new)
            assert verify_consistency(old, new, roots[old], roots[new], proof), (old, new)


def test_growing_tree_keeps_historical_answers(big_tree: MerkleTree) -> None:
    tree = MerkleTree.from_entries(ENTRIES[:20])
    proof_before = tree.inclusion_proof(7, 20)
    root_before = tree.root()
    tree.extend(leaf_hash(e) for e in ENTRIES[20:])
    assert tree.root(20) == root_before
    assert tree.inclusion_proof(7, 20) == proof_before
    assert tree.root() == big_tree.root()


def test_append_and_extend_build_identical_trees() -> None:
    one_by_one = MerkleTree()
    for i, entry in enumerate(ENTRIES):
        assert one_by_one.append(leaf_hash(entry)) == i
    bulk = MerkleTree(leaf_hash(e) for e in ENTRIES)
    assert len(one_by_one) == len(bulk) == MAX_CROSS_CHECK
    assert all(one_by_one.root(n) == bulk.root(n) for n in range(MAX_CROSS_CHECK + 1))
    assert bulk.leaf(5) == leaf_hash(ENTRIES[5])


def test_large_tree_spot_checks_against_naive() -> None:
    entries = [i.to_bytes(4, "big") for i in range(1000)]
    tree = MerkleTree.from_entries(entries)
    for size, index in [(1000, 0), (1000, 999), (513, 512), (1000, 511), (777, 300)]:
        assert tree.inclusion_proof(index, size) == naive_path(index, entries[:size])
    for old, new in [(1, 1000), (512, 1000), (511, 513), (999, 1000), (300, 777)]:
        assert tree.consistency_proof(old, new) == naive_proof(old, entries[:new])


# ---------------------------------------------------------------------------------------------
# Tampering is rejected
# ---------------------------------------------------------------------------------------------


def _flip(h: bytes, bit: int = 3) -> bytes:
    return bytes([h[0] ^ (1 << bit)]) + h[1:]


def _inclusion_tamperings(index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes):
    some = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")
    yield "index-1", (leaf, index - 1, size, proof, root)
    yield "index+1", (leaf, index + 1, size, proof, root)
    yield "index^2", (leaf, index ^ 2, size, proof, root)
    yield "size*2", (leaf, index, size * 2, proof, root)
    yield "size//2", (leaf, index, size // 2, proof, root)
    yield "wrong leaf", (leaf_hash(b"WrongLeaf"), index, size, proof, root)
    yield "empty root", (leaf, index, size, proof, EMPTY_ROOT)
    yield "random root", (leaf, index, size, proof, some)
    yield "trailing root", (leaf, index, size, [*proof, root], root)
    yield "preceding root", (leaf, index, size, [root, *proof], root)
    yield "short hash", (leaf, index, size, [*proof[:-1], proof[-1][:31]], root)
    for i in range(len(proof)):
        yield (
            f"flip proof[{i}]",
            (leaf, index, size, [*proof[:i], _flip(proof[i]), *proof[i + 1 :]], root),
        )
    yield "removed component", (leaf, index, size, proof[:-1], root)
    if len(proof) > 1:
        yield "inserted component", (leaf, index, size, [proof[0], some, *proof[1:]], root)


@pytest.mark.parametrize(("leaf", "size", "proof"), INCLUSION_PROOFS[1:])
def test_tampered_inclusion_proofs_are_rejected(leaf: int, size: int, proof: list[str]) -> None:
    index, hashes = leaf - 1, _hexes(proof)
    root = bytes.fromhex(ROOT_HASHES[size])
    leaf_h = leaf_hash(LEAF_INPUTS[index])
    assert verify_inclusion(leaf_h, index, size, hashes, root)
    for name, args in _inclusion_tamperings(index, size, hashes, root, leaf_h):
        assert not verify_inclusion(*args), name


def test_tampered_inclusion_proofs_rejected_across_sizes(big_tree: MerkleTree) -> None:
    for size in (2, 5, 13, 32, 33, 70):
        root = big_tree.root(size)
        for index in range(size):
            proof = big_tree.inclusion_proof(index, size)
            leaf = big_tree.leaf(index)
            if not proof:
                continue
            for name, args in _inclusion_tamperings(index, size, proof, root, leaf):
                assert not verify_inclusion(*args), (name, index, size)


def _consistency_tamperings(old: int, new: int, r1: bytes, r2: bytes, proof: list[bytes]):
    yield "old-1", (old - 1, new, r1, r2, proof)
    yield "old+1", (old + 1, new, r1, r2, proof)
    yield "old^2", (old ^ 2, new, r1, r2, proof)
    yield "new*2", (old, new * 2, r1, r2, proof)
    yield "new//2", (old, new // 2, r1, r2, proof)
    yield "wrong root1", (old, new, _flip(r1), r2, proof)
    yield "wrong root2", (old, new, r1, _flip(r2), proof)
    yield "swapped roots", (old, new, r2, r1, proof)
    yield "empty proof", (old, new, r1, r2, [])
    yield "trailing root1", (old, new, r1, r2, [*proof, r1])
    yield "trailing root2", (old, new, r1, r2, [*proof, r2])
    yield "preceding root1", (old, new, r1, r2, [r1, *proof])
    yield "preceding root2", (old, new, r1, r2, [r2, *proof])
    yield "preceding proof[0]", (old, new, r1, r2, [proof[0], *proof])
    yield "truncated", (old, new, r1, r2, proof[:-1])
    for i in range(len(proof)):
        yield (
            f"flip proof[{i}]",
            (old, new, r1, r2, [*proof[:i], _flip(proof[i], 4), *proof[i + 1 :]]),
        )


@pytest.mark.parametrize(("old", "new", "proof"), [p for p in CONSISTENCY_PROOFS if p[2]])
def test_tampered_consistency_proofs_are_rejected(old: int, new: int, proof: list[str]) -> None:
    hashes = _hexes(proof)
    r1, r2 = bytes.fromhex(ROOT_HASHES[old]), bytes.fromhex(ROOT_HASHES[new])
    assert verify_consistency(old, new, r1, r2, hashes)
    for name, args in _consistency_tamperings(old, new, r1, r2, hashes):
        assert not verify_consistency(*args), name


def test_tampered_consistency_proofs_rejected_across_sizes(big_tree: MerkleTree) -> None:
    for new in (3, 8, 13, 33, 70):
        for old in range(1, new):
            proof = big_tree.consistency_proof(old, new)
            r1, r2 = big_tree.root(old), big_tree.root(new)
            for name, args in _consistency_tamperings(old, new, r1, r2, proof):
                assert not verify_consistency(*args), (name, old, new)


def test_trivial_consistency_cases() -> None:
    root5 = bytes.fromhex(ROOT_HASHES[5])
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert verify_consistency(5, 5, root5, root5, [])
    assert verify_consistency(0, 5, EMPTY_ROOT, root5, [])
    assert not verify_consistency(5, 5, root5, EMPTY_ROOT, [])  # same size, different root
    assert not verify_consistency(5, 5, root5, root5, [EMPTY_ROOT])  # same size, proof given
    assert not verify_consistency(0, 5, root5, root5, [])  # size 0 must have the empty root
    assert not verify_consistency(0, 5, EMPTY_ROOT, root5, [EMPTY_ROOT])
    assert not verify_consistency(5, 4, root5, root5, [])  # time travel
    assert not verify_consistency(1, 2, root5, root5, [])  # RFC step 1: empty path fails


def test_verifiers_fail_closed_on_bad_inputs() -> None:
    root1 = bytes.fromhex(ROOT_HASHES[1])
    leaf0 = leaf_hash(LEAF_INPUTS[0])
    assert verify_inclusion(leaf0, 0, 1, [], root1)
    assert not verify_inclusion(leaf0, 0, 0, [], root1)  # index >= size
    assert not verify_inclusion(leaf0, 1, 1, [], root1)
    assert not verify_inclusion(leaf0, -1, 1, [], root1)
    assert not verify_inclusion(leaf0[:31], 0, 1, [], root1[:31])  # wrong hash size
    assert not verify_inclusion(b"", 0, 1, [], b"")
    assert not verify_inclusion(leaf0, "0", 1, [], root1)  # type: ignore[arg-type]
    assert not verify_consistency(-1, 1, EMPTY_ROOT, root1, [])


# ---------------------------------------------------------------------------------------------
# Out-of-range arguments raise
# ---------------------------------------------------------------------------------------------


def test_out_of_range_arguments_raise_value_error() -> None:
    tree = _reference_tree(5)
    with pytest.raises(ValueError, match="out of range"):
        tree.root(6)
    with pytest.raises(ValueError, match="out of range"):
        tree.root(-1)
    with pytest.raises(ValueError, match="out of range"):
        tree.inclusion_proof(5, 5)
    with pytest.raises(ValueError, match="out of range"):
        tree.inclusion_proof(0, 0)
    with pytest.raises(ValueError, match="out of range"):
        tree.inclusion_proof(-1)
    with pytest.raises(ValueError, match="out of range"):
        tree.inclusion_proof(0, 6)
    with pytest.raises(ValueError, match="old_size"):
        tree.consistency_proof(4, 3)
    with pytest.raises(ValueError, match="old_size"):
        tree.consistency_proof(-1, 3)
    with pytest.raises(ValueError, match="out of range"):
        tree.consistency_proof(1, 6)
    with pytest.raises(ValueError, match="out of range"):
        tree.leaf(5)
    with pytest.raises(TypeError):
        tree.inclusion_proof(True, 5)  # type: ignore[arg-type]
    assert tree.consistency_proof(0, 5) == []
    assert tree.consistency_proof(5, 5) == []


def test_extend_rejects_bad_leaf_hash_atomically() -> None:
    tree = _reference_tree(3)
    root = tree.root()
    with pytest.raises(ValueError, match="32 bytes"):
        tree.extend([leaf_hash(b"a"), b"short"])
    assert tree.size == 3
    assert tree.root() == root
