#!/usr/bin/env python3
"""Writes the seed inputs of fuzz/seeds/<target>/ (docs/fuzzing.md). Run from anywhere:

    python3 fuzz/seeds/generate.py [path/to/leadit-2022.json]   # default: ../shared/fixtures/

release_content seeds are JSON: the release of the LeadIT fixture in the shape of the GraphQL
ReleaseInput, its canonical encoding (as ReleaseContent::canonical_json writes it), and a few small
edge cases. directory_input seeds are the bytes that `arbitrary` 1.5 decodes into the `Input`
struct of fuzz_targets/directory_input.rs; check one with
`cargo +nightly fuzz fmt directory_input seeds/directory_input/<file>`. Re-run this script when
that struct changes.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# The shared folder sits beside the repository (../shared), as in CI.
DEFAULT_FIXTURE = os.path.join(HERE, "..", "..", "..", "shared", "fixtures", "leadit-2022.json")


def write(target, name, data):
    os.makedirs(os.path.join(HERE, target), exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(HERE, target, name), "wb") as f:
        f.write(data)


# ----------------------------------------------------------------------------------------------
# release_content
# ----------------------------------------------------------------------------------------------


def release_input(fixture):
    """The fixture's release as GraphQL ReleaseInput JSON (person keys become person ids)."""
    r = fixture["release"]
    body = []
    for block in r["body"]:
        if "paragraph" in block:
            body.append({"paragraph": block["paragraph"]})
        else:
            q = block["quote"]
            body.append({"quote": {"speakerId": q["speaker"], "text": q["text"]}})
    return {
        "kind": r["kind"],
        "language": r["language"],
        "department": r["department"],
        "responsibleMinisterId": r["responsibleMinister"],
        "title": r["title"],
        "lead": r["lead"],
        "body": body,
        "contacts": r["contacts"],
        "factBoxes": r["factBoxes"],
        "topics": r["topics"],
    }


def canonical(inp):
    """ReleaseContent::canonical_json of valid input: fixed field order, every optional field
    present, blocks as {"paragraph":{"text":…}} / {"quote":{"speakerId":…,"text":…}}, compact,
    non-ASCII as is (serde_json escapes exactly what json.dumps escapes for this text)."""
    body = []
    for b in inp["body"]:
        if "paragraph" in b:
            body.append({"paragraph": {"text": b["paragraph"]}})
        else:
            body.append({"quote": {"speakerId": b["quote"]["speakerId"], "text": b["quote"]["text"]}})
    content = {
        "kind": inp.get("kind", "PRESS_RELEASE"),
        "language": inp["language"],
        "responsibleMinisterId": inp.get("responsibleMinisterId"),
        "title": inp["title"],
        "lead": inp["lead"],
        "body": body,
        "contacts": [
            {k: c.get(k) for k in ("name", "role", "phone", "mobile", "email")}
            for c in inp.get("contacts", [])
        ],
        "factBoxes": [{"heading": f["heading"], "text": f["text"]} for f in inp.get("factBoxes", [])],
        "topics": inp.get("topics", []),
        "translationOf": inp.get("translationOf"),
    }
    return json.dumps(content, ensure_ascii=False, separators=(",", ":"))


def compact(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def release_content_seeds(fixture):
    leadit = release_input(fixture)
    write("release_content", "leadit-input.json", json.dumps(leadit, ensure_ascii=False, indent=2))
    write("release_content", "leadit-canonical.json", canonical(leadit))

    # Two speakers besides the minister, a translation, every contact field, line breaks and a
    # no-break space: the paths the LeadIT release does not take.
    two_offices = {
        "kind": "NEWS",
        "language": "en-GB",
        "responsibleMinisterId": "strandhall",
        "title": "Swedish-Indian UN initiative continues",
        "lead": "Two lines\nof lead.",
        "body": [
            {"quote": {"speakerId": "modi-office", "text": "A quote."}},
            {"paragraph": "Tab\tseparated."},
            {"quote": {"speakerId": "strandhall", "text": "Another."}},
            {"quote": {"speakerId": "modi-office", "text": "Second quote."}},
        ],
        "contacts": [
            {
                "name": "Tove Kullenberg",
                "role": "Press secretary",
                "phone": "+46 (0)8-405\u00a010 00",
                "mobile": "073-842 50 59",
                "email": "tove.kullenberg@regeringskansliet.se",
            }
        ],
        "factBoxes": [{"heading": "Stockholm+50", "text": "2–3 June 2022"}],
        "topics": ["Climate"],
        "translationOf": "0190a5e4-7c1d-7000-8000-000000000001",
    }
    write("release_content", "two-offices-input.json", compact(two_offices))
    write("release_content", "two-offices-canonical.json", canonical(two_offices))

    # The smallest valid draft, and content at the edges of the limits.
    write("release_content", "minimal-input.json", compact({"language": "sv", "title": "T", "lead": "", "body": []}))
    write(
        "release_content",
        "limits-input.json",
        compact(
            {
                "language": "sv-Latn-SE",
                "title": "å" * 300,
                "lead": "",
                "body": [{"paragraph": "x"}] * 3,
                "topics": ["a"] * 30,
                "contacts": [{"name": "N", "phone": "123", "email": "a@b.c"}],
            }
        ),
    )
    # Refused: a bell in the title, a malformed e-mail (the oracle must agree on the field).
    write(
        "release_content",
        "refused-input.json",
        compact({"language": "sv", "title": "Rubrik\u0007", "lead": "", "body": [], "contacts": [{"name": "N", "email": "x"}]}),
    )


# ----------------------------------------------------------------------------------------------
# directory_input: an encoder for the subset of `arbitrary` 1.5 the Input struct uses
# ----------------------------------------------------------------------------------------------


class Arb:
    """Collects what `Unstructured` reads: fixed-size values from the front, lengths from the back."""

    def __init__(self):
        self.ops = []  # ("front", bytes) or ("len", n)

    def u8(self, v):
        self.ops.append(("front", bytes([v])))

    def bool(self, v):
        self.u8(1 if v else 0)

    def u16(self, v):
        self.ops.append(("front", v.to_bytes(2, "little")))

    def u32(self, v):
        self.ops.append(("front", v.to_bytes(4, "little")))

    def variant(self, index, count):
        # derive(Arbitrary): (u64::from(u32) * count) >> 32
        v = -(-(index << 32) // count)
        assert (v * count) >> 32 == index
        self.u32(v)

    def string(self, s):
        b = s.encode("utf-8")
        self.ops.append(("len", len(b)))
        self.ops.append(("front", b))

    def option_string(self, s):
        self.bool(s is not None)
        if s is not None:
            self.string(s)

    def rest(self, s):
        self.ops.append(("front", s.encode("utf-8")))

    def bytes(self):
        # Each length is read from the end of what remains; how many bytes it takes depends on how
        # much remains, which depends on those sizes: iterate to a fixed point.
        sizes = [1 for op in self.ops if op[0] == "len"]
        while True:
            front_total = sum(len(b) for kind, b in self.ops if kind == "front")
            remaining = front_total + sum(sizes)
            groups, new_sizes, k = [], [], 0
            for kind, value in self.ops:
                if kind == "front":
                    remaining -= len(value)
                    continue
                if remaining <= 256:
                    width, max_size = 1, remaining - 1
                    group = bytes([value])
                else:
                    assert remaining <= 65537
                    width, max_size = 2, remaining - 2
                    group = bytes([value >> 8, value & 0xFF]) if max_size >= 256 else bytes([value, 0])
                assert value <= max_size, "string longer than what remains"
                new_sizes.append(width)
                groups.append(group)
                remaining -= width
                k += 1
            if new_sizes == sizes:
                break
            sizes = new_sizes
        front = b"".join(b for kind, b in self.ops if kind == "front")
        return front + b"".join(reversed(groups))


def directory_seed(
    *,
    slug,
    dept_name,
    tz,
    person_name,
    person_title,
    user_name,
    role,
    has_department,
    has_person,
    embargo_access,
    note_field,
    note,
    contact,
    title,
    slug_candidate,
    name,
):
    a = Arb()
    a.string(slug)
    a.string(dept_name)
    kind, value = tz
    if kind == "raw":
        a.variant(0, 3)
        a.string(value)
    elif kind == "known":
        a.variant(1, 3)
        a.u16(value)
    else:  # ("edited", (index, edit_variant, char or None))
        index, edit, ch = value
        a.variant(2, 3)
        a.u16(index)
        a.variant(edit, 6)
        if ch is not None:
            a.u32(ord(ch))
    a.string(person_name)
    a.string(person_title)
    a.string(user_name)
    a.u8(role)  # index into Role::ALL: DRAFTER, EDITOR, MINISTER_OFFICE, INTEGRATOR, ADMIN
    a.bool(has_department)
    a.bool(has_person)
    a.bool(embargo_access)
    a.string(note_field)
    a.string(note)
    a.string(contact["name"])
    for key in ("role", "phone", "mobile", "email"):
        a.option_string(contact.get(key))
    a.string(title)
    a.u32(slug_candidate)
    a.rest(name)
    return a.bytes()


def directory_input_seeds(fixture):
    dept = fixture["department"]
    person = fixture["people"][0]
    release = fixture["release"]
    contact = dict(release["contacts"][0])
    contact["email"] = "tove.kullenberg@regeringskansliet.se"
    write(
        "directory_input",
        "leadit",
        directory_seed(
            slug=dept["slug"],
            dept_name=dept["name"],
            tz=("raw", dept["timeZone"]),
            person_name=person["name"],
            person_title=person["title"],
            user_name="strandhall-kansliet",
            role=2,
            has_department=False,
            has_person=True,
            embargo_access=False,
            note_field="comment",
            note="Citatet behöver ses över.\nSe stycke två.",
            contact=contact,
            title=release["title"],
            slug_candidate=2,
            name="MINISTER_OFFICE",
        ),
    )
    write(
        "directory_input",
        "near-misses",
        directory_seed(
            slug="utrikes--departementet",
            dept_name=" ",
            tz=("edited", (0, 0, None)),
            person_name="Namn\u0007",
            person_title="x" * 201,
            user_name="dana",
            role=0,
            has_department=False,
            has_person=False,
            embargo_access=True,
            note_field="reason",
            note="\t\n",
            contact={"name": "N", "phone": "+1", "mobile": "call me", "email": "a@b"},
            title="–!?",
            slug_candidate=0,
            name="minister-office",
        ),
    )
    write(
        "directory_input",
        "long-title",
        directory_seed(
            slug="a",
            dept_name="Å",
            tz=("known", 500),
            person_name="P",
            person_title="T",
            user_name="ivar",
            role=3,
            has_department=False,
            has_person=False,
            embargo_access=True,
            note_field="note",
            note="Rättelse.",
            contact={"name": "N", "email": "åsa@exempel.se"},
            title="Åsa öppnar Älvsjö " * 8,
            slug_candidate=3,
            name=" Integrator ",
        ),
    )


def main():
    fixture_path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_FIXTURE
    with open(fixture_path, encoding="utf-8") as f:
        fixture = json.load(f)
    release_content_seeds(fixture)
    directory_input_seeds(fixture)


if __name__ == "__main__":
    main()
