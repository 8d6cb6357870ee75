"""Planted 严重表述错误: miswritten expressions put into real public documents (law-/gwr- texts of tests/data/public-gov
and, where present, of the shared corpus), each with its twin that carries the correct form at the same place.

The phrasings are this set's own (not those of the rule example files). Every pair is planted three ways — as is,
with a full-width space inside the wrong form, with a zero-width space inside it — and one in four also in traditional
characters. A third class holds correction notices that quote the wrong form (更正, 通报): they must pass.
Deterministic: `python -m tests.expressions.generate DIR` writes the same files every time."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from reviewer.settings import REPO_ROOT

HOSTS = REPO_ROOT / "tests" / "data" / "public-gov"

# (class, wrong sentence, right sentence, the wrong form inside the wrong sentence)
PAIRS: list[tuple[str, str, str, str]] = [
    ("political", "团结带领中国入民不断前进。", "团结带领中国人民不断前进。", "中国入民"),
    ("political", "区第十届人民代表大人第五次会议胜利闭幕。", "区第十届人民代表大会第五次会议胜利闭幕。", "人民代表大人"),
    ("political", "组织青年团员瞻仰烈土纪念碑。", "组织青年团员瞻仰烈士纪念碑。", "烈土"),
    ("political", "持续巩固党十九大以来的改革成果。", "持续巩固党的十九大以来的改革成果。", "党十九大"),
    ("political", "认真领会党二十届四中全会精神。", "认真领会党的二十届四中全会精神。", "党二十届"),
    ("political", "纵深推进扫黑险恶常态化。", "纵深推进扫黑除恶常态化。", "扫黑险恶"),
    ("political", "依照中华人民共合国行政许可法办理。", "依照中华人民共和国行政许可法办理。", "中华人民共合国"),
    ("political", "大力弘扬社会注意核心价值观。", "大力弘扬社会主义核心价值观。", "社会注意"),
    ("political", "认真学习习近乎总书记重要讲话精神。", "认真学习习近平总书记重要讲话精神。", "习近乎"),
    ("political", "案件移送县人民检查院审查起诉。", "案件移送县人民检察院审查起诉。", "检查院"),
    ("territorial", "邀请德国、台湾、意大利等国家的专家参会。", "邀请德国、台湾、意大利等国家和地区的专家参会。", "台湾"),
    ("territorial", "与新加坡、香港等十余个国家的企业签约。", "与新加坡、香港等十余个国家和地区的企业签约。", "香港"),
    ("territorial", "澳门及其他国家的游客持续增加。", "澳门及其他国家和地区的游客持续增加。", "澳门"),
    ("territorial", "推动中港两地人才交流。", "推动内地与香港两地人才交流。", "中港"),
    ("territorial", "加强两岸三地青少年交流。", "加强海峡两岸和香港青少年交流。", "两岸三地"),
    ("territorial", "台湾总统宣布新的政策。", "台湾地区领导人宣布新的政策。", "台湾总统"),
    ("territorial", "中国与台湾的航线恢复运营。", "大陆与台湾的航线恢复运营。", "中国与台湾"),
    ("territorial", "台湾政府出台相关措施。", "台湾当局出台相关措施。", "台湾政府"),
    ("xinhua", "北朝鲜代表团来访。", "朝鲜代表团来访。", "北朝鲜"),
    ("xinhua", "维族群众喜迎古尔邦节。", "维吾尔族群众喜迎古尔邦节。", "维族"),
    ("xinhua", "审计署署长出席会议并讲话。", "审计署审计长出席会议并讲话。", "审计署署长"),
    ("xinhua", "作为世界贸易组织成员国，我国履行承诺。", "作为世界贸易组织成员，我国履行承诺。", "世界贸易组织成员国"),
    ("xinhua", "为残废人办理就业登记。", "为残疾人办理就业登记。", "残废人"),
    ("xinhua", "中共某省省委书记到我市调研。", "中共某省委书记到我市调研。", "省省委"),
]

# correction notices and 通报 that quote wrong forms: public text, must pass
CORRECTIONS = [
    "更正：本网3月2日发布的信息中，将“中国人民”误写为“中国入民”，特此更正。",
    "经查，个别网站把“党的十九大”错写为“党十九大”，把“扫黑除恶”错写为“扫黑险恶”，已责令整改。",
    "通报指出，部分网站存在“两岸三地”“台湾总统”等错误表述，应分别表述为海峡两岸和香港、台湾地区领导人。",
    "勘误：第5版“人民代表大人”应为“人民代表大会”。",
    "根据新闻报道规范，不使用“北朝鲜”，应使用“朝鲜”。",
    "检查中发现“烈土陵园”“中华人民共合国”等错别字，现已更正。",
    "个别网站将中华人民共和国写成中华人民共合国，已于当日改正。",
    "问题清单：党二十大（应为党的二十大），审计署署长（应为审计署审计长）。",
]


@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    kind: str  # political | territorial | xinhua | correction
    wrong: bool  # carries a wrong form that must be reported
    text: str


def _s2t(text: str) -> str:
    import opencc

    return str(opencc.OpenCC("s2t").convert(text))


def _variants(wrong: str, right: str, form: str, k: int) -> list[tuple[str, str, str]]:
    at = wrong.index(form) + 1  # inside the wrong form, after its first character
    right_at = at if right[:at] == wrong[:at] else right.index(right[at - 1]) + 1
    out = [("plain", wrong, right),
           ("fullwidth-space", wrong[:at] + "\u3000" + wrong[at:], right[:right_at] + "\u3000" + right[right_at:]),
           ("zero-width", wrong[:at] + "\u200b" + wrong[at:], right[:right_at] + "\u200b" + right[right_at:])]
    if k % 4 == 0:
        out.append(("traditional", _s2t(wrong), _s2t(right)))
    return out


def hosts() -> list[Path]:
    """Public texts the sentences are planted in (law- and gwr- documents, in-repo first, then the shared corpus)."""
    found = sorted(HOSTS.glob("law-*.txt"))[::17] + sorted(HOSTS.glob("gwr-*.txt"))[::7]
    for shared in (REPO_ROOT.parent / "shared" / "corpus" / "public-gov", REPO_ROOT.parent.parent / "shared" / "corpus" / "public-gov"):
        if shared.is_dir():
            found += sorted(shared.glob("gwr-*.txt"))[3::11] + sorted(shared.glob("law-*.txt"))[5::37]
            break
    return found


def plant(host: str, sentence: str) -> str:
    """After the sentence end closest to the middle of the host text (a paragraph's sentence, not a heading)."""
    mid = len(host) // 2
    cut = host.find("。", mid)
    cut = len(host) if cut < 0 else cut + 1
    return host[:cut] + sentence + host[cut:]


def samples() -> list[Sample]:
    texts = [p.read_text(encoding="utf-8") for p in hosts()]
    out: list[Sample] = []
    n = 0
    for k, (kind, wrong, right, form) in enumerate(PAIRS):
        for variant, w, r in _variants(wrong, right, form, k):
            host = texts[n % len(texts)]
            n += 1
            out.append(Sample(f"{kind}-{k:02d}-{variant}-wrong.txt", kind, True, plant(host, w)))
            out.append(Sample(f"{kind}-{k:02d}-{variant}-right.txt", kind, False, plant(host, r)))
    for k, notice in enumerate(CORRECTIONS):
        host = texts[n % len(texts)]
        n += 1
        out.append(Sample(f"correction-{k:02d}.txt", "correction", False, plant(host, notice)))
    return out


def write(directory: Path) -> list[Sample]:
    directory.mkdir(parents=True, exist_ok=True)
    made = samples()
    for s in made:
        (directory / s.name).write_text(s.text, encoding="utf-8")
    expected = {s.name: {"kind": s.kind, "wrong": s.wrong} for s in made}
    (directory / "EXPECTED.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1), encoding="utf-8")
    return made


if __name__ == "__main__":  # pragma: no cover
    print(len(write(Path(sys.argv[1]))))
