"""No self-approval is an identity rule (accounts/identity.py), not a string compare on the free-text author.

The reviewer `liuyang` (刘洋) is linked to the CMS author id `cms-7731`. Every way an insider could spell himself —
case, full width, spaces, invisible characters, traditional characters, an empty author — must end either refused
(the system recognises him) or waiting for a second person (the system cannot tell): never approved by him alone."""

from __future__ import annotations

import pytest

from reviewer.accounts import identity
from reviewer.accounts import manage as accounts
from reviewer.errors import Conflict, PermissionDenied
from reviewer.store.models import APPROVED, AWAITING_OFFICER, Item
from reviewer.store.session import Database
from reviewer.workflow import submit
from reviewer.workflow.review import sign_off
from tests.workflow.conftest import result
from tests.workflow.helpers import client, scanned, user


@pytest.fixture
def people(db: Database) -> Database:
    with db.session() as s:
        unit = accounts.get_unit(s, "U1")
        accounts.set_unknown_author(s, unit, "officer")  # the default for a new unit
        liu = accounts.create_user(s, "liuyang", "U1", "reviewer", display_name="刘洋", cms_id="cms-7731")
        accounts.create_user(s, "zhaomin", "U1", "publisher", display_name="赵敏", cms_id="cms-2040")
        identity.link(s, liu, "liu.yang@cms")
    return db


def _draft(db: Database, ext: str, *, author: str = "", author_id: str = "") -> int:
    with db.session() as s:
        item_id = submit.submit(s, client(s, "cms1"), external_id=ext, content=f"公开通报{ext}".encode(), author=author,
                                author_id=author_id).item.id
    scanned(db, item_id, result())
    return item_id


def _approve(db: Database, item_id: int, who: str) -> str:
    with db.session() as s:
        sha = s.get(Item, item_id).content_sha256  # type: ignore[union-attr]
        sign_off(s, item_id, user(s, who), sha, "approve")
    with db.session() as s:
        return s.get(Item, item_id).state  # type: ignore[union-attr]


NAME_VARIANTS = ["LiuYang", "ｌｉｕｙａｎｇ", "liu yang", "刘 洋", "刘洋\u200b", "\u2060刘洋", "劉洋", "刘\u3000洋", "LIUYANG\ufeff"]


@pytest.mark.parametrize("author", NAME_VARIANTS)
def test_spellings_of_the_reviewer_are_refused(people: Database, author: str) -> None:
    item_id = _draft(people, "n", author=author)
    with pytest.raises(PermissionDenied, match="作者"):
        _approve(people, item_id, "liuyang")


@pytest.mark.parametrize("author_id", ["cms-7731", "CMS-7731", "ｃｍｓ-７７３１", " cms-7731 ", "cms-7731\u200b", "LIU.YANG@CMS"])
def test_the_reviewers_cms_id_in_any_form_is_refused_whatever_the_name(people: Database, author_id: str) -> None:
    item_id = _draft(people, "i", author="办公室小王", author_id=author_id)
    with pytest.raises(PermissionDenied, match="作者"):
        _approve(people, item_id, "liuyang")
    assert _approve(people, item_id, "rev1") == APPROVED  # another reviewer of the unit signs alone


@pytest.mark.parametrize("author,author_id", [("", ""), ("拟稿人", ""), ("", "cms-0000-unknown"), ("赵敏", "cms-9999")])
def test_an_unknown_author_needs_the_officer(people: Database, author: str, author_id: str) -> None:
    item_id = _draft(people, "u", author=author, author_id=author_id)
    assert _approve(people, item_id, "liuyang") == AWAITING_OFFICER  # not approved by one person
    with pytest.raises(PermissionDenied):
        _approve(people, item_id, "rev1")  # a second reviewer is not the officer
    assert _approve(people, item_id, "off1") == APPROVED


def test_a_known_drafter_lets_one_reviewer_approve(people: Database) -> None:
    item_id = _draft(people, "k", author="赵敏", author_id="cms-2040")
    assert _approve(people, item_id, "liuyang") == APPROVED


def test_the_officer_who_wrote_the_draft_cannot_co_sign_it(people: Database) -> None:
    with people.session() as s:
        identity.link(s, user(s, "off1"), "cms-5500")
    item_id = _draft(people, "o", author_id="cms-5500")
    with pytest.raises(PermissionDenied, match="作者"):
        _approve(people, item_id, "off1")
    assert _approve(people, item_id, "rev1") == APPROVED  # known author (the officer), another person signs


def test_an_id_cannot_be_linked_to_two_people_of_a_unit(people: Database) -> None:
    with people.session() as s:
        with pytest.raises(Conflict):
            identity.link(s, user(s, "rev1"), "Cms-7731")  # folds to liuyang's id


def test_unknown_author_policy_reviewer_is_an_explicit_choice(people: Database) -> None:
    with people.session() as s:
        accounts.set_unknown_author(s, accounts.get_unit(s, "U1"), "reviewer")
    item_id = _draft(people, "p", author="拟稿人")
    assert _approve(people, item_id, "liuyang") == APPROVED
    item_id = _draft(people, "q", author="劉洋")  # names are still compared under that policy
    with pytest.raises(PermissionDenied):
        _approve(people, item_id, "liuyang")
