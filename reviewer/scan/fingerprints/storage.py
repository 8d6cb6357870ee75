"""How a fingerprint rule is kept: the keyed hash (AES-128 of the public gram hash under the rule's secret key), the
data file (sorted keyed hashes with document and paragraph numbers), the key file and the rule files beside them."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from reviewer.scan.fingerprints.explain import DEFAULT_MESSAGE, fingerprint_title
from reviewer.scan.fingerprints.grams import K, W

HASH_NAME = "aes128-winnow-v2"
DATA_MAGIC = b"RVFP\x01\x00\x00\x00"
KEY_BYTES = 16
INLINE_DOCUMENTS = 100  # more registered sources than this go to <id>.documents.json


def keyed(key: bytes, messages: np.ndarray) -> np.ndarray:
    """The stored value of each public gram hash: the first 64 bits of AES-128 under the rule's key of the block
    (hash as 8 little-endian bytes, then 8 zero bytes). AES is a pseudorandom permutation, so on distinct inputs this
    is a pseudorandom function: without the key the values say nothing about the grams, and a guessed passage
    cannot be checked against them. One call per text (AES-NI through `cryptography`)."""
    if len(key) != KEY_BYTES:
        raise ValueError("AES-128 key must be 16 bytes")
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    blocks = np.zeros((len(messages), 2), "<u8")
    blocks[:, 0] = messages
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    out = encryptor.update(blocks.tobytes()) + encryptor.finalize()
    return np.frombuffer(out, "<u8")[::2].astype(np.uint64)



def write_rule_files(out_dir: Path, rule_id: str, blob: bytes, key: bytes,
                     documents: Sequence[tuple[str, int] | tuple[str, int, float | None]], *,
                     severity: str = "block", message: str = "", category: str = "登记文件") -> tuple[Path, Path, Path]:
    """The rule files of one fingerprint rule (the CLI's output, and what a worker materialises from the database)."""
    import yaml

    out_dir.mkdir(parents=True, exist_ok=True)
    data_path = out_dir / f"{rule_id}.fp"
    key_path = out_dir / f"{rule_id}.key"
    yaml_path = out_dir / f"{rule_id}.yaml"
    data_path.write_bytes(blob)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.hex() + "\n")
    os.chmod(key_path, 0o600)
    rule: dict[str, object] = {
        "id": rule_id,
        "kind": "fingerprint",
        "title": fingerprint_title([doc[0] for doc in documents]),
        "severity": severity,
        "category": category,
        "message": message or DEFAULT_MESSAGE,
        "hash": HASH_NAME,
        "gram": K,
        "window": W,
        "data_file": data_path.name,
        "data_sha256": hashlib.sha256(blob).hexdigest(),
        "key_file": key_path.name,
    }
    entries: list[dict[str, object]] = []
    for doc in documents:  # (label, paragraphs) or (label, paragraphs, public share)
        entry: dict[str, object] = {"label": doc[0], "paragraphs": doc[1]}
        if len(doc) > 2 and doc[2] is not None:  # type: ignore[misc]
            entry["public_share"] = round(float(doc[2]), 4)  # type: ignore[misc]
        entries.append(entry)
    docs_path = out_dir / f"{rule_id}.documents.json"
    if len(entries) <= INLINE_DOCUMENTS:
        rule["documents"] = entries
        docs_path.unlink(missing_ok=True)
    else:  # thousands of entries: JSON loads in milliseconds where YAML takes seconds
        docs_path.write_text(json.dumps(entries, ensure_ascii=False, indent=0), encoding="utf-8")
        rule["documents_file"] = docs_path.name
    yaml_path.write_text(yaml.safe_dump(rule, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")
    return yaml_path, data_path, key_path


def encode_data(hashes: np.ndarray, docs: np.ndarray, paras: np.ndarray) -> bytes:
    count = len(hashes)
    header = DATA_MAGIC + np.array([count], "<u8").tobytes()
    return header + hashes.astype("<u8").tobytes() + docs.astype("<u4").tobytes() + paras.astype("<u4").tobytes()


def decode_data(blob: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if blob[:8] != DATA_MAGIC or len(blob) < 16:
        raise ValueError("不是登记文件指纹数据（文件头不符）")
    count = int(np.frombuffer(blob, "<u8", 1, 8)[0])
    if len(blob) != 16 + 16 * count:
        raise ValueError("指纹数据长度与记录数不符（文件被截断或损坏）")
    hashes = np.frombuffer(blob, "<u8", count, 16).astype(np.uint64)
    docs = np.frombuffer(blob, "<u4", count, 16 + 8 * count).astype(np.uint32)
    paras = np.frombuffer(blob, "<u4", count, 16 + 12 * count).astype(np.uint32)
    if count and np.any(hashes[1:] < hashes[:-1]):
        raise ValueError("指纹数据未排序（文件被改动）")
    return hashes, docs, paras


def read_key(path: Path) -> bytes:
    text = path.read_text(encoding="ascii").strip()
    key = bytes.fromhex(text)
    if len(key) != KEY_BYTES:
        raise ValueError(f"密钥长度应为 {KEY_BYTES} 字节（{2 * KEY_BYTES} 个十六进制字符）")
    return key



def describe(path: Path) -> dict[str, object]:
    """Size figures of a data file (for `reviewer fingerprints` output and the bench)."""
    blob = path.read_bytes()
    hashes, docs, _ = decode_data(blob)
    return {"selections": len(hashes), "documents": int(docs.max()) + 1 if len(docs) else 0, "bytes": len(blob)}
