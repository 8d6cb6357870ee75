"""Registered documents: find passages of a draft that reproduce a registered (internal, classified) document, holding
nothing of its text but keyed hashes. See docs/fingerprints.md for the choices and the threat they answer.

Pipeline, the same for registering and for scanning:

1. `fold` (reviewer.scan.normalize: width, traditional -> simplified, noise; one character -> one character), then
   keep only content characters (CJK ideographs, digits, letters, lowercased): spaces, line breaks, punctuation and
   separators disappear, and every kept character remembers its offset in the original text.
2. Every K-character gram gets a public 64-bit hash (`grams_of_values`, a polynomial modulo 2^64 over random
   per-character values). It is never stored for registered text; it serves to select grams and to drop common ones.
3. Winnowing (Schleimer, Wilkerson, Aiken 2003): in every window of W consecutive grams the gram of minimal hash is
   selected. Any stretch of at least K + W - 1 characters shared by two texts yields at least one common selection.
4. A selected gram is stored as AES-128 (a keyed pseudorandom function) of its public hash under a per-rule 128-bit
   secret key; the posting says
   which document and which paragraph. Grams of ordinary public prose (the common-shingle list) are not stored.

At scan time the draft goes through steps 1-3, each selection is keyed with each rule's key and looked up; matches of
the same registered paragraph that lie close together in the draft form a passage, reported with its similarity
(matched selections / all selections of the draft inside the passage) when it is long enough.

Modules, one concept each (all pure: numpy, no database, no files written except by `Builder.write` and
`public.write_public`):
  grams.py     steps 1-3 and the common-shingle lists
  storage.py   keyed hashes, the data file, the key file, the rule files
  building.py  registering sources (leaving out public text, counting the public share)
  public.py    public reference lists the officer supplies (public text, its selections' public hashes)
  matching.py  scanning a draft against the registered documents
  explain.py   what a person reads: the finding's explanation, titles, the public share"""

from __future__ import annotations

from reviewer.scan.fingerprints.building import (
    MAX_POSTINGS,
    METADATA_PARTS,
    Builder,
    DocumentInfo,
    paragraphs_of,
    paragraphs_of_parts,
    read_source,
)
from reviewer.scan.fingerprints.explain import DEFAULT_MESSAGE, Hit, fingerprint_title, public_share_text
from reviewer.scan.fingerprints.grams import (
    _POWERS,
    COMMON_FILE,
    GRAM_BLOCK,
    GUARANTEE,
    K,
    Prepared,
    W,
    _in_sorted,
    common_hashes_of,
    content_chars,
    content_values,
    default_common,
    fold,
    gram_hashes,
    grams_of_values,
    winnow,
)
from reviewer.scan.fingerprints.matching import (
    MAX_GAP,
    MIN_MATCHES,
    MIN_SIMILARITY,
    MIN_SPAN,
    FingerprintIndex,
    _RuleIndex,
)
from reviewer.scan.fingerprints.public import public_hashes_of, read_public, write_public
from reviewer.scan.fingerprints.storage import (
    DATA_MAGIC,
    HASH_NAME,
    INLINE_DOCUMENTS,
    KEY_BYTES,
    decode_data,
    describe,
    encode_data,
    keyed,
    read_key,
    write_rule_files,
)

__all__ = ["Builder", "FingerprintIndex", "Hit", "Prepared", "keyed", "winnow", "gram_hashes", "content_chars",
           "content_values", "grams_of_values", "common_hashes_of", "default_common", "paragraphs_of",
           "paragraphs_of_parts", "read_source", "DocumentInfo", "write_rule_files", "encode_data", "decode_data",
           "read_key", "describe", "fingerprint_title", "public_share_text", "public_hashes_of", "read_public",
           "write_public", "fold", "K", "W", "GUARANTEE", "GRAM_BLOCK", "COMMON_FILE", "HASH_NAME", "DATA_MAGIC",
           "KEY_BYTES", "INLINE_DOCUMENTS", "MAX_POSTINGS", "METADATA_PARTS", "MAX_GAP", "MIN_MATCHES",
           "MIN_SIMILARITY", "MIN_SPAN", "DEFAULT_MESSAGE", "_POWERS", "_RuleIndex", "_in_sorted"]
