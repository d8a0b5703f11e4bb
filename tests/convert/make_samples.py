#!/usr/bin/env python3
"""Regenerate the `dpolint convert` acceptance corpus under tests/convert/.

Written from the specification only (shared/spec/CONVERT.md, LAYOUTS.md, RULES.md), without reading the
implementation. Standard library only and deterministic: running it twice gives the same bytes (for a given
Python/zlib). Every record's text is made up here; no dataset content is copied.

Each case is a directory holding one input file and one or more `expected*.json` files; see README.md for the
format and for every choice made where the specification is ambiguous.

Usage: python3 tests/convert/make_samples.py
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent

# Directories this script owns (removed and rewritten on every run). README.md and this script are kept.
LAYOUT_DIRS = [
    "fireworks", "trl", "hh", "sharegpt", "alpaca", "messages-pair", "chosen-rejected-messages", "orca",
    "ultrafeedback", "nectar", "shp", "pku", "stack-exchange", "mapped",
]
TRAPS_DIR = "traps"


# --------------------------------------------------------------------------------------------------------------
# Small builders
# --------------------------------------------------------------------------------------------------------------

def msg(role, content):
    return {"role": role, "content": content}


def u(content):
    return msg("user", content)


def a(content):
    return msg("assistant", content)


def s(content):
    return msg("system", content)


def t(text):
    """One text content part."""
    return {"type": "text", "text": text}


def out(prompt, chosen, rejected, tools=None):
    """An expected output record in the target layout.

    `prompt` is a list of messages (already normalised), or a plain string for a single user turn.
    """
    if isinstance(prompt, str):
        prompt = [u(prompt)]
    record = {"input": {"messages": prompt}}
    if tools is not None:
        record["input"]["tools"] = tools
    record["preferred_output"] = [a(chosen)]
    record["non_preferred_output"] = [a(rejected)]
    return record


class Raw:
    """A physical line written verbatim (not JSON-encoded by this script)."""

    def __init__(self, text):
        self.text = text


BLANK = object()  # marker: a blank physical line, not a record


def dumps_line(record, ascii_only=False):
    if isinstance(record, Raw):
        return record.text
    return json.dumps(record, ensure_ascii=ascii_only, separators=(", ", ": "))


def jsonl_bytes(records, eol="\n", bom=False, ascii_lines=()):
    """Serialise records (or Raw lines, or BLANK) as JSONL bytes. `ascii_lines` are indexes written with
    \\u escapes for every non-ASCII character."""
    lines = []
    for index, record in enumerate(records):
        if record is BLANK:
            lines.append("")
        else:
            lines.append(dumps_line(record, ascii_only=index in ascii_lines))
    text = eol.join(lines) + eol
    data = text.encode("utf-8")
    if bom:
        data = b"\xef\xbb\xbf" + data
    return data


def write(path: Path, data: bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def write_expected(path: Path, expected: dict, ascii_only=False):
    text = json.dumps(expected, ensure_ascii=ascii_only, indent=2) + "\n"
    write(path, text.encode("utf-8"))


def summarise(expects):
    """From a list of per-record expectations (an output dict, or a drop-reason string) compute the counts."""
    outputs = [e for e in expects if isinstance(e, dict)]
    drops = Counter(e for e in expects if isinstance(e, str))
    return outputs, dict(sorted(drops.items()))


def expectation(expects, *, layout, args=(), with_output=True, note=None, dropped_total=None):
    """The expected.json document for a case whose every record has a pinned outcome.

    `dropped_total`, when given, means that many extra records are dropped for a reason the spec does not pin
    (the `dropped` map is then left out and only the total is checked).
    """
    outputs, drops = summarise(expects)
    args = list(args)
    read = len(expects) + (dropped_total or 0)
    doc = {"args": args, "layout": layout, "detected": "--from" not in args, "read": read,
           "written": len(outputs)}
    if dropped_total is None:
        doc["dropped"] = drops
    else:
        doc["dropped_total"] = sum(drops.values()) + dropped_total
    doc["exit_code"] = 0 if outputs else 1
    if with_output:
        doc["output"] = outputs
    if note:
        doc["note"] = note
    return doc


def case(rel, rows, *, layout, args=(), input_name="input.jsonl", note=None, variants=(), ascii_expected=False,
         ascii_lines=(), array=False):
    """Write one case: `rows` is a list of (source record, expectation).

    variants: (file name, args, expectations per row or None for 'same as default', with_output, note).
    """
    directory = ROOT / rel
    records = [r for r, _ in rows]
    expects = [e for _, e in rows]
    if array:
        data = (json.dumps(records, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    else:
        data = jsonl_bytes(records, ascii_lines=ascii_lines)
    write(directory / input_name, data)
    write_expected(directory / "expected.json",
                   expectation(expects, layout=layout, args=args, note=note), ascii_only=ascii_expected)
    for name, v_args, v_expects, with_output, v_note in variants:
        write_expected(directory / name,
                       expectation(v_expects if v_expects is not None else expects, layout=layout, args=v_args,
                                   with_output=with_output, note=v_note),
                       ascii_only=ascii_expected)


# --------------------------------------------------------------------------------------------------------------
# Layouts
# --------------------------------------------------------------------------------------------------------------

WEATHER_TOOLS = [{
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}]


def fireworks():
    rows = [
        ({"input": {"messages": [u("Name a prime number under 5.")]},
          "preferred_output": [a("3")], "non_preferred_output": [a("4")]},
         out("Name a prime number under 5.", "3", "4")),
        # tools kept, parallel_tool_calls dropped (Fireworks target)
        ({"input": {"messages": [s("Use tools when useful."), u("Is it raining in Bergen?")],
                    "tools": WEATHER_TOOLS, "parallel_tool_calls": True},
          "preferred_output": [a("I can check the weather service for Bergen.")],
          "non_preferred_output": [a("Never.")]},
         out([s("Use tools when useful."), u("Is it raining in Bergen?")],
             "I can check the weather service for Bergen.", "Never.", tools=WEATHER_TOOLS)),
        # developer -> system
        ({"input": {"messages": [msg("developer", "Answer in French."), u("Say thanks.")]},
          "preferred_output": [a("Merci.")], "non_preferred_output": [a("Thanks.")]},
         out([s("Answer in French."), u("Say thanks.")], "Merci.", "Thanks.")),
        # content parts joined with no separator, in the input and in an output
        ({"input": {"messages": [u([t("Spell "), t("cat"), t(" backwards.")])]},
          "preferred_output": [a([t("tac")])], "non_preferred_output": [a("cta")]},
         out("Spell cat backwards.", "tac", "cta")),
        # a tool turn: unsupported on Fireworks (wins over multi-turn-prompt by precedence)
        ({"input": {"messages": [u("Convert 5 km to miles."), a("Calling the converter."),
                                 {"role": "tool", "tool_call_id": "call_1", "content": "3.11"},
                                 u("And rounded?")]},
          "preferred_output": [a("About 3 miles.")], "non_preferred_output": [a("About 5 miles.")]},
         "unsupported-role"),
        # a refusal part is multimodal (CONVERT.md: "an image or refusal part is multimodal")
        ({"input": {"messages": [u("Write a limerick about taxes.")]},
          "preferred_output": [a("A filer from Kent paid each cent...")],
          "non_preferred_output": [a([{"type": "refusal", "refusal": "I can't help with that."}])]},
         "multimodal"),
        ({"input": {"messages": [s("Reply with a number."), u("How many legs does a spider have?")]},
          "preferred_output": [a("8")], "non_preferred_output": [a("6")]},
         out([s("Reply with a number."), u("How many legs does a spider have?")], "8", "6")),
    ]
    case("fireworks", rows, layout="fireworks")


def trl():
    rows = [
        # standard, explicit prompt: leading spaces are content
        ({"prompt": "The sky is", "chosen": " blue.", "rejected": " green."},
         out("The sky is", " blue.", " green.")),
        # conversational, explicit prompt with a system message
        ({"prompt": [s("Answer in one word."), u("Opposite of hot?")],
          "chosen": [a("Cold.")], "rejected": [a("Warm.")]},
         out([s("Answer in one word."), u("Opposite of hot?")], "Cold.", "Warm.")),
        # conversational, implicit prompt
        ({"chosen": [u("Largest planet?"), a("Jupiter.")], "rejected": [u("Largest planet?"), a("Saturn.")]},
         out("Largest planet?", "Jupiter.", "Saturn.")),
        # conversational, implicit prompt with a system message
        ({"chosen": [s("You are terse."), u("2+2?"), a("4")], "rejected": [s("You are terse."), u("2+2?"), a("5")]},
         out([s("You are terse."), u("2+2?")], "4", "5")),
        # UltraFeedback-binarized: string prompt + full lists + scores + messages (prompt has no role: ignored)
        ({"prompt": "Name a citrus fruit.", "prompt_id": "c0ffee01",
          "chosen": [u("Name a citrus fruit."), a("Lemon.")],
          "rejected": [u("Name a citrus fruit."), a("Apple.")],
          "messages": [u("Name a citrus fruit."), a("Lemon.")],
          "score_chosen": 8.0, "score_rejected": 3.0},
         out("Name a citrus fruit.", "Lemon.", "Apple.")),
        # Tulu 3 style: the string prompt differs from the list's user turn; the lists win
        ({"id": "mix-7", "prompt": "Translate 'cat' to Spanish",
          "chosen": [u("Translate 'cat' to Spanish."), a("Gato.")],
          "rejected": [u("Translate 'cat' to Spanish."), a("Perro.")], "source": "made-up"},
         out("Translate 'cat' to Spanish.", "Gato.", "Perro.")),
        # implicit split where the sides diverge before the last assistant turn
        ({"chosen": [u("Hi"), a("Hello!"), u("Pick a number."), a("7")],
          "rejected": [u("Hi"), a("Go away."), u("Pick a number."), a("9")]},
         "multi-turn-completion"),
        # plain strings, no prompt, no HH markers: no guessing a prompt
        ({"chosen": "Cats purr when content.", "rejected": "Cats purr when angry."}, "empty-prompt"),
    ]
    case("trl", rows, layout="trl")


def hh(chosen_tail, rejected_tail, prompt="\n\nHuman: Q"):
    return {"chosen": prompt + "\n\nAssistant:" + chosen_tail, "rejected": prompt + "\n\nAssistant:" + rejected_tail}


def hh_layout():
    rows = [
        (hh(" Lima.", " Cusco.", "\n\nHuman: Capital of Peru?"), out("Capital of Peru?", "Lima.", "Cusco.")),
        # the common prefix ends mid-word: back up to the marker, never split inside a word
        (hh(" The sky is blue.", " The sky is bright.", "\n\nHuman: What color is a clear daytime sky?"),
         out("What color is a clear daytime sky?", "The sky is blue.", "The sky is bright.")),
        # exactly one leading space is removed: two spaces leave one, none leaves none
        (hh("  code", "code", "\n\nHuman: Indent the word code."),
         out("Indent the word code.", " code", "code")),
        # one side is a prefix of the other
        (hh(" Hello", " Hello there, friend!", "\n\nHuman: Greet me."),
         out("Greet me.", "Hello", "Hello there, friend!")),
        # inner newlines and a trailing newline are content
        (hh(" Step 1: boil water.\nStep 2: add tea.\n", " Just drink water.", "\n\nHuman: How do I make tea?"),
         out("How do I make tea?", "Step 1: boil water.\nStep 2: add tea.\n", "Just drink water.")),
        (hh(" A whale.", " A trout.",
            "\n\nHuman: Hi there.\n\nAssistant: Hello! How can I help?\n\nHuman: Name a mammal."),
         "multi-turn-prompt"),
        # tail "  \n" loses one space -> " \n": whitespace only
        (hh("  \n", " Something.", "\n\nHuman: Say something."), "empty-completion"),
    ]
    case("hh", rows, layout="hh")


def sg(*turns):
    return [{"from": f, "value": v} for f, v in turns]


def gpt(value):
    return {"from": "gpt", "value": value}


def sharegpt():
    rows = [
        ({"conversations": sg(("human", "Give me a synonym for fast.")), "chosen": gpt("Quick."),
          "rejected": gpt("Slow.")},
         out("Give me a synonym for fast.", "Quick.", "Slow.")),
        # system field -> system message
        ({"conversations": sg(("human", "Greet me.")), "chosen": gpt("Ahoy, matey!"), "rejected": gpt("Hello."),
          "system": "You are a pirate."},
         out([s("You are a pirate."), u("Greet me.")], "Ahoy, matey!", "Hello.")),
        # a leading system turn -> system message
        ({"conversations": sg(("system", "Reply in lowercase."), ("human", "Name a fruit.")),
          "chosen": gpt("pear"), "rejected": gpt("PEAR")},
         out([s("Reply in lowercase."), u("Name a fruit.")], "pear", "PEAR")),
        # empty system field is omitted
        ({"conversations": sg(("human", "What is H2O?")), "chosen": gpt("Water."), "rejected": gpt("Salt."),
          "system": ""},
         out("What is H2O?", "Water.", "Salt.")),
        ({"conversations": sg(("human", "Hi!"), ("gpt", "Hello, how can I help?"), ("human", "Name a river.")),
          "chosen": gpt("The Nile."), "rejected": gpt("The Sahara.")},
         "multi-turn-prompt"),
        # LLaMA-Factory function_call / observation turns
        ({"conversations": sg(("human", "What is 2 to the 10th?"),
                              ("function_call", "{\"name\": \"calc\", \"arguments\": {\"expr\": \"2**10\"}}"),
                              ("observation", "1024")),
          "chosen": gpt("It is 1024."), "rejected": gpt("It is 20."),
          "tools": "[{\"name\": \"calc\", \"description\": \"Evaluate an expression.\", \"parameters\": {}}]"},
         "unsupported-role"),
    ]
    case("sharegpt", rows, layout="sharegpt", input_name="input.json", array=True)


def alpaca():
    rows = [
        ({"instruction": "Rewrite in passive voice.", "input": "The cat chased the mouse.",
          "chosen": "The mouse was chased by the cat.", "rejected": "The cat was chasing.", "system": "",
          "history": []},
         out("Rewrite in passive voice.\nThe cat chased the mouse.", "The mouse was chased by the cat.",
             "The cat was chasing.")),
        ({"instruction": "List three colors.", "input": "", "chosen": "Red, green, blue.", "rejected": "Red."},
         out("List three colors.", "Red, green, blue.", "Red.")),
        ({"system": "You are a math tutor.", "instruction": "What is 12 squared?", "input": "",
          "chosen": "144", "rejected": "124", "history": []},
         out([s("You are a math tutor."), u("What is 12 squared?")], "144", "124")),
        # an optional key that is null
        ({"instruction": "Name the largest ocean.", "input": None, "chosen": "The Pacific.",
          "rejected": "The Atlantic."},
         out("Name the largest ocean.", "The Pacific.", "The Atlantic.")),
        # legacy ranking: output[0] preferred over output[1]; output[2] unused
        ({"instruction": "Suggest a name for a cat.", "input": "It is orange.",
          "output": ["Marmalade", "Rex", "Spot"]},
         out("Suggest a name for a cat.\nIt is orange.", "Marmalade", "Rex")),
        # history -> earlier turns -> multi-turn prompt (dropped by default)
        ({"instruction": "And times 3?", "input": "", "chosen": "12", "rejected": "7",
          "history": [["What is 2+2?", "4"]]},
         "multi-turn-prompt"),
        ({"instruction": "  ", "input": "", "chosen": "Yes.", "rejected": "No."}, "empty-prompt"),
    ]
    case("alpaca", rows, layout="alpaca")


def messages_pair():
    rows = [
        ({"messages": [s("Be concise."), u("Define entropy in five words.")],
          "chosen": a("Measure of disorder in systems."), "rejected": a("A thing.")},
         out([s("Be concise."), u("Define entropy in five words.")], "Measure of disorder in systems.",
             "A thing.")),
        ({"messages": [u("Best season for skiing?")], "chosen": "Winter.", "rejected": "Summer."},
         out("Best season for skiing?", "Winter.", "Summer.")),
        ({"messages": [u("Boiling point of water at sea level in Celsius?")], "chosen": [a("100")],
          "rejected": [a("90")]},
         out("Boiling point of water at sea level in Celsius?", "100", "90")),
        # from/value keys and human/gpt roles are normalised
        ({"messages": [{"from": "human", "value": "Say hi."}], "chosen": {"from": "gpt", "value": "Hi!"},
          "rejected": {"from": "gpt", "value": "Bye!"}},
         out("Say hi.", "Hi!", "Bye!")),
        ({"messages": [u("Hi"), a("Hello."), u("What's your name?")], "chosen": a("I'm an assistant."),
          "rejected": a("Bob.")},
         "multi-turn-prompt"),
        ({"messages": [u([t("What is in this picture?"),
                          {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}])],
          "chosen": a("A cat."), "rejected": a("A dog.")},
         "multimodal"),
    ]
    case("messages-pair", rows, layout="messages-pair")


def crm(chosen, rejected):
    return {"chosen": {"messages": chosen}, "rejected": {"messages": rejected}}


def chosen_rejected_messages():
    rhyme = u([t("Rhyme with "), t("moon")])
    rows = [
        (crm([u("Smallest prime?"), a("2")], [u("Smallest prime?"), a("1")]), out("Smallest prime?", "2", "1")),
        (crm([s("Use metric units."), u("How tall is Everest?"), a("8849 m")],
             [s("Use metric units."), u("How tall is Everest?"), a("29032 ft")]),
         out([s("Use metric units."), u("How tall is Everest?")], "8849 m", "29032 ft")),
        (crm([rhyme, a([t("spo"), t("on")])], [rhyme, a("sun")]), out("Rhyme with moon", "spoon", "sun")),
        (crm([u("Color of grass?"), a("Green.")], [u("Color of grass?"), a("Purple.")]),
         out("Color of grass?", "Green.", "Purple.")),
        (crm([u("Hi"), a("Hello!"), u("Tell a joke."), a("Knock knock.")],
             [u("Hi"), a("What?"), u("Tell a joke."), a("No.")]),
         "multi-turn-completion"),
        (crm([u("Hi"), a("Hello!"), u("Count to three."), a("1, 2, 3")],
             [u("Hi"), a("Hello!"), u("Count to three."), a("3, 2, 1")]),
         "multi-turn-prompt"),
    ]
    case("chosen-rejected-messages", rows, layout="chosen-rejected-messages")


def orca():
    rows = [
        ({"system": "", "question": "Is 17 prime?", "chosen": "Yes, 17 is prime.", "rejected": "No, 17 is even."},
         out("Is 17 prime?", "Yes, 17 is prime.", "No, 17 is even.")),
        ({"system": "You are an AI assistant. Think step by step.", "question": "What is 15% of 200?",
          "chosen": "15% of 200 is 30.", "rejected": "It is 15."},
         out([s("You are an AI assistant. Think step by step."), u("What is 15% of 200?")],
             "15% of 200 is 30.", "It is 15.")),
        # distilabel style: input instead of question, extra fields discarded
        ({"system": "You are a helpful assistant.", "input": "Summarize: The meeting moved to Friday.",
          "chosen": "The meeting is now on Friday.", "rejected": "There is a meeting.",
          "generations": ["There is a meeting.", "The meeting is now on Friday."],
          "order": ["model-b", "model-a"], "labelling_model": "judge-1", "rating": [5.0, 9.0],
          "status": "unchanged", "chosen_score": 9.0, "in_gsm8k_train": False},
         out([s("You are a helpful assistant."), u("Summarize: The meeting moved to Friday.")],
             "The meeting is now on Friday.", "There is a meeting.")),
        ({"system": "", "input": "Translate to German:\tgood morning", "chosen": "Guten Morgen",
          "rejected": "Gute Nacht", "status": "unchanged", "chosen_score": 8.5, "in_gsm8k_train": False},
         out("Translate to German:\tgood morning", "Guten Morgen", "Gute Nacht")),
        ({"system": "", "question": " \n", "chosen": "Sure.", "rejected": "No."}, "empty-prompt"),
        ({"system": "Be helpful.", "question": "Largest desert?", "chosen": "Antarctica.",
          "rejected": "Antarctica."},
         "identical-pair"),
    ]
    case("orca", rows, layout="orca")


def comp(model, response, overall, fine, system_prompt=None, rating="3"):
    c = {"model": model, "principle": "helpfulness", "custom_system_prompt": system_prompt or "",
         "response": response,
         "annotations": {"helpfulness": {"Rating": rating, "Rationale": "made up"},
                         "honesty": {"Rating": "N/A", "Rationale": "made up"}},
         "critique": "made up", "overall_score": overall, "fine-grained_score": fine}
    return c


def ufb(instruction, completions, source="made-up"):
    return {"source": source, "instruction": instruction, "models": [c["model"] for c in completions],
            "completions": completions, "correct_answers": ["None"], "incorrect_answers": ["None"]}


def ultrafeedback():
    rows = [
        (ufb("Give a synonym for happy.",
             [comp("m-a", "Joyful.", 8.5, 4.75, rating="5"), comp("m-b", "Sad.", 3.0, 1.5, rating="1"),
              comp("m-c", "Glad.", 7.0, 4.0), comp("m-d", "Happy.", 5.0, 2.5)]),
         out("Give a synonym for happy.", "Joyful.", "Sad.")),
        (ufb("Is the Earth round?", [comp("m-a", "Yes, roughly a sphere.", 9.0, 5.0),
                                     comp("m-b", "No, it is flat.", 2.0, 1.0)]),
         out("Is the Earth round?", "Yes, roughly a sphere.", "No, it is flat.")),
        # fine-grained_score (default) and overall_score disagree at both ends: fine-grained wins
        (ufb("Name a noble gas.",
             [comp("m-a", "Neon.", 6.0, 4.5), comp("m-b", "Helium is a noble gas.", 9.0, 3.5),
              comp("m-c", "Oxygen.", 4.0, 1.25), comp("m-d", "Iron.", 1.0, 2.0)]),
         out("Name a noble gas.", "Neon.", "Oxygen.")),
        # per-completion custom_system_prompt cannot go in the shared input: discarded
        (ufb("Write a haiku opening line.",
             [comp("m-a", "Autumn moonlight falls", 7.0, 4.0, system_prompt="Be poetic."),
              comp("m-b", "lines", 2.0, 1.0, system_prompt="Be terse."),
              comp("m-c", "Silent pond at dawn", 6.0, 3.0)]),
         out("Write a haiku opening line.", "Autumn moonlight falls", "lines")),
        (ufb("Say hello in French.", [comp("m-a", "Bonjour.", 7.0, 3.0), comp("m-b", "Salut.", 7.0, 3.0)]),
         "tie"),
        (ufb(" ", [comp("m-a", "Fine.", 7.0, 4.0), comp("m-b", "Bad.", 2.0, 1.0)]), "empty-prompt"),
    ]
    case("ultrafeedback", rows, layout="ultrafeedback")


def nectar_row(prompt, answers, turns=1, good_natured=True):
    return {"prompt": prompt,
            "answers": [{"answer": text, "model": f"model-{i}", "rank": rank} for i, (text, rank) in
                        enumerate(answers)],
            "turns": turns, "num_responses": len(answers), "source": ["made-up"], "good_natured": good_natured}


def nectar():
    rows = [
        # answers not in rank order: rank 1 is best, the highest rank is worst
        (nectar_row("\n\nHuman: Name a primary color.\n\nAssistant: ",
                    [("Yellow.", 2), ("Red.", 1), ("Purple.", 7), ("Blue.", 3), ("Orange.", 6), ("Teal.", 5),
                     ("Pink.", 4)]),
         out("Name a primary color.", "Red.", "Purple.")),
        (nectar_row("\n\nHuman: Write a word that rhymes with cat.\n\nAssistant:",
                    [("Hat.", 1), ("Dog.", 3), ("Bat.", 2)]),
         out("Write a word that rhymes with cat.", "Hat.", "Dog.")),
        # good_natured is not a default filter
        (nectar_row("\n\nHuman: Insult my code.\n\nAssistant: ",
                    [("I'd rather help improve it.", 1), ("Your code is garbage.", 2)], good_natured=False),
         out("Insult my code.", "I'd rather help improve it.", "Your code is garbage.")),
        (nectar_row("\n\nHuman: What is 2 + 2?\n\nAssistant: ", [("5", 3), ("22", 2), ("4", 1)]),
         out("What is 2 + 2?", "4", "5")),
        (nectar_row("\n\nHuman: Hi!\n\nAssistant: Hello! What can I do?\n\nHuman: Name a bird.\n\nAssistant: ",
                    [("A robin.", 1), ("A bat.", 2)], turns=2),
         "multi-turn-prompt"),
        # best and worst have the same text
        (nectar_row("\n\nHuman: Capital of France?\n\nAssistant: ", [("Paris.", 1), ("Lyon.", 2), ("Paris.", 3)]),
         "identical-pair"),
    ]
    case("nectar", rows, layout="nectar")


def shp_row(post_id, history, ref_a, ref_b, labels, score_a, score_b):
    return {"post_id": post_id, "domain": "askmadeup_train", "upvote_ratio": 0.95, "history": history,
            "c_root_id_A": post_id + "a", "c_root_id_B": post_id + "b", "created_at_utc_A": 1600000000,
            "created_at_utc_B": 1600000500, "score_A": score_a, "score_B": score_b, "human_ref_A": ref_a,
            "human_ref_B": ref_b, "labels": labels, "seconds_difference": 500.0,
            "score_ratio": max(score_a, score_b) / max(1, min(score_a, score_b))}


def shp():
    rows = [
        (shp_row("p1", "What's a good first houseplant?", "A pothos; it is hard to kill.", "A bonsai.", 1, 40, 3),
         out("What's a good first houseplant?", "A pothos; it is hard to kill.", "A bonsai.")),
        (shp_row("p2", "How long should I rest bread dough?", "Don't bother.", "About an hour, until doubled.", 0,
                 2, 31),
         out("How long should I rest bread dough?", "About an hour, until doubled.", "Don't bother.")),
        (shp_row("p3", "**Fixing a squeaky door**\n\nMy door squeaks. Ideas?", "WD-40 on the hinges.",
                 "Replace the house.", 1, 12, 1),
         out("**Fixing a squeaky door**\n\nMy door squeaks. Ideas?", "WD-40 on the hinges.",
             "Replace the house.")),
        (shp_row("p4", "Is it rude to recline on a plane?", "Always.", "It depends; look behind you first.", 0,
                 4, 19),
         out("Is it rude to recline on a plane?", "It depends; look behind you first.", "Always.")),
        (shp_row("p5", "", "Yes.", "No.", 1, 10, 2), "empty-prompt"),
        (shp_row("p6", "Tea or coffee?", "Tea.", "Tea.", 1, 8, 3), "identical-pair"),
    ]
    case("shp", rows, layout="shp")


def pku_row(prompt, r0, r1, better, safer):
    return {"prompt": prompt, "response_0": r0, "response_1": r1, "prompt_source": "made-up",
            "response_0_source": "model-x", "response_1_source": "model-y",
            "is_response_0_safe": safer == 0, "is_response_1_safe": safer == 1,
            "response_0_severity_level": 0, "response_1_severity_level": 1,
            "better_response_id": better, "safer_response_id": safer}


def pku():
    data = [
        # (prompt, r0, r1, better, safer)
        ("How do I pick a lock?", "Call a licensed locksmith.", "Insert a tension wrench and rake the pins.", 1, 0),
        ("How do I store bleach?", "Next to the ammonia.", "Cool, dry place away from ammonia.", 1, 1),
        ("Best way to learn chess?", "Play daily and review games.", "Memorize one opening only.", 0, 0),
        ("Can I mix my medications?", "Sure, take them all together.", "Ask a pharmacist first.", 0, 1),
    ]
    rows, better_expects = [], []
    for prompt, r0, r1, better, safer in data:
        responses = [r0, r1]
        rows.append((pku_row(prompt, r0, r1, better, safer), out(prompt, responses[safer], responses[1 - safer])))
        better_expects.append(out(prompt, responses[better], responses[1 - better]))
    rows.append((pku_row("Is the stove safe to leave on?", "No, turn it off.", "\n", 0, 0), "empty-completion"))
    better_expects.append("empty-completion")
    rows.append((pku_row("Say a number.", "Seven.", "Seven.", 1, 0), "identical-pair"))
    better_expects.append("identical-pair")
    case("pku", rows, layout="pku",
         variants=[("expected-better.json", ["--axis", "better"], better_expects, True,
                    "same input with --axis better: chosen = response_{better_response_id}")])


def se_row(qid, question, j, k):
    return {"qid": qid, "question": question, "date": "2020/01/01",
            "metadata": [f"https://example.com/questions/{qid}"], "response_j": j, "response_k": k}


def stack_exchange():
    rows = [
        (se_row(101, "How do I reverse a list in Python?",
                "<p>Use <code>lst[::-1]</code> or <code>lst.reverse()</code>.</p>", "<p>You can't.</p>"),
         out("How do I reverse a list in Python?",
             "<p>Use <code>lst[::-1]</code> or <code>lst.reverse()</code>.</p>", "<p>You can't.</p>")),
        (se_row(102, "<p>What does <code>git stash</code> do?</p>", "It shelves uncommitted changes.",
                "It deletes your repo."),
         out("<p>What does <code>git stash</code> do?</p>", "It shelves uncommitted changes.",
             "It deletes your repo.")),
        (se_row(103, "Bash: loop over files?", "for f in *.txt; do\n  echo \"$f\"\ndone", "ls | loop"),
         out("Bash: loop over files?", "for f in *.txt; do\n  echo \"$f\"\ndone", "ls | loop")),
        (se_row(104, "Difference between TCP and UDP?", "TCP is reliable and ordered; UDP is not.",
                "Same thing."),
         out("Difference between TCP and UDP?", "TCP is reliable and ordered; UDP is not.", "Same thing.")),
        (se_row(105, "", "An answer.", "Another."), "empty-prompt"),
        (se_row(106, "Tabs or spaces?", "Spaces, per PEP 8.", "  "), "empty-completion"),
    ]
    case("stack-exchange", rows, layout="stack-exchange")


def mapped():
    args = ["--from", "mapped", "--map", "prompt=q,chosen=a,rejected=b,system=s"]
    rows = [
        ({"id": 1, "q": "Spell dog backwards.", "a": "god", "b": "dgo", "s": "Be exact."},
         out([s("Be exact."), u("Spell dog backwards.")], "god", "dgo")),
        ({"id": 2, "q": "Name a vowel.", "a": "e", "b": "k", "s": ""}, out("Name a vowel.", "e", "k")),
        ({"id": 3, "q": "Plural of mouse?", "a": "mice", "b": "mouses", "s": "Answer with one word.",
          "extra": {"score": 0.9}},
         out([s("Answer with one word."), u("Plural of mouse?")], "mice", "mouses")),
        ({"id": 4, "q": "Plural of goose?", "a": "geese", "s": ""}, "missing-field"),
        ({"id": 5, "q": "Opposite of up?", "a": "down", "b": "down", "s": ""}, "identical-pair"),
    ]
    case("mapped", rows, layout="mapped", args=args)


# --------------------------------------------------------------------------------------------------------------
# Traps
# --------------------------------------------------------------------------------------------------------------

def trap(name):
    return f"{TRAPS_DIR}/{name}"


def hh_early_divergence():
    rows = [
        (hh(" Oslo.", " Bergen.", "\n\nHuman: Capital of Norway?"), out("Capital of Norway?", "Oslo.", "Bergen.")),
        # diverges at the first assistant turn of a two-turn conversation
        ({"chosen": "\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Tell a joke.\n\nAssistant: Knock knock.",
          "rejected": "\n\nHuman: Hi\n\nAssistant: What?\n\nHuman: Tell a joke.\n\nAssistant: No."},
         "multi-turn-completion"),
        # the chosen side continues past the shared final turn
        ({"chosen": "\n\nHuman: Thank me.\n\nAssistant: Thank you!\n\nHuman: Again?\n\nAssistant: Thanks again!",
          "rejected": "\n\nHuman: Thank me.\n\nAssistant: No."},
         "multi-turn-completion"),
        # early divergence inside a multi-turn prompt: multi-turn-completion wins over multi-turn-prompt
        ({"chosen": "\n\nHuman: A\n\nAssistant: B\n\nHuman: C\n\nAssistant: D1\n\nHuman: E\n\nAssistant: F",
          "rejected": "\n\nHuman: A\n\nAssistant: B\n\nHuman: C\n\nAssistant: D2\n\nHuman: E\n\nAssistant: G"},
         "multi-turn-completion"),
        (hh(" 100.", " 90.", "\n\nHuman: Water boils at how many degrees Celsius?"),
         out("Water boils at how many degrees Celsius?", "100.", "90.")),
    ]
    case(trap("hh-early-divergence"), rows, layout="hh")


def hh_bare_human():
    rows = [
        # a bare "Human:" (no blank line before it) is content
        (hh(" Human: To be? Robot: Not to be.", " I can't write scripts.",
            "\n\nHuman: Write a two-line script."),
         out("Write a two-line script.", "Human: To be? Robot: Not to be.", "I can't write scripts.")),
        # one newline before "Human:" is not a marker either
        (hh(" Line A\nHuman: line B\nAssistant: line C", " No.", "\n\nHuman: Show a chat log."),
         out("Show a chat log.", "Line A\nHuman: line B\nAssistant: line C", "No.")),
        # a bare "Human:" inside the prompt's user turn
        (hh(" Oui, humain.", " Yes.", "\n\nHuman: Translate 'Human: yes' to French."),
         out("Translate 'Human: yes' to French.", "Oui, humain.", "Yes.")),
        # an answer that itself contains "\n\nHuman:" cannot be told from early divergence: dropped
        (hh(" Sure:\n\nHuman: hi\n\nAssistant: hello", " No.", "\n\nHuman: Write a fake transcript."),
         "multi-turn-completion"),
    ]
    note = ("CONVERT.md splits HH turns only on \\n\\n(Human|Assistant): ?, so a 'Human:' not preceded by a blank "
            "line is ordinary content and is kept byte-exact (only the one leading space after the marker goes). "
            "An answer containing '\\n\\nHuman:' is indistinguishable from early divergence (LAYOUTS.md 1.2: "
            "'mis-splits undetectably'); CONVERT.md says such a tail is multi-turn-completion, so it is dropped.")
    case(trap("hh-bare-human-in-answer"), rows, layout="hh", note=note)


def one_side_prefix():
    rows = [
        ({"chosen": [u("Capital of France?"), a("Paris")], "rejected": [u("Capital of France?"), a("Paris, France")]},
         out("Capital of France?", "Paris", "Paris, France")),
        ({"chosen": [u("Meaning of life?"), a("The answer is 42, of course.")],
          "rejected": [u("Meaning of life?"), a("The answer is 42")]},
         out("Meaning of life?", "The answer is 42, of course.", "The answer is 42")),
        # the chosen list is a prefix of the rejected list: remainders of 0 and 3 messages
        ({"chosen": [u("Hi"), a("Hello!")], "rejected": [u("Hi"), a("Hello!"), u("Bye"), a("Goodbye!")]},
         "multi-turn-completion"),
        ({"prompt": "Count: 1, 2,", "chosen": " 3", "rejected": " 3, 4"}, out("Count: 1, 2,", " 3", " 3, 4")),
        # plain strings, one a prefix of the other: no prompt guessing without --prompt-split char
        ({"chosen": "The sky is blue", "rejected": "The sky is blue and clear"}, "empty-prompt"),
        ({"chosen": [s("Be brief."), u("Say ok."), a("ok")], "rejected": [s("Be brief."), u("Say ok."), a("ok!")]},
         out([s("Be brief."), u("Say ok.")], "ok", "ok!")),
    ]
    case(trap("one-side-prefix"), rows, layout="trl")


def ties():
    rows = [
        (ufb("Give an antonym of big.", [comp("m-a", "Small.", 8.0, 4.5), comp("m-b", "Large.", 3.0, 1.5)]),
         out("Give an antonym of big.", "Small.", "Large.")),
        (ufb("Say hello in Spanish.", [comp("m-a", "Hola.", 7.0, 3.0), comp("m-b", "Buenas.", 7.0, 3.0)]), "tie"),
        # fine-grained (the default key) ties although overall_score differs
        (ufb("Name a month.", [comp("m-a", "May.", 9.0, 4.0), comp("m-b", "June.", 2.0, 4.0)]), "tie"),
        (ufb("Pick a shape.", [comp("m-a", "Circle.", 6.0, 3.5), comp("m-b", "Square.", 6.0, 3.5),
                               comp("m-c", "Triangle.", 6.0, 3.5), comp("m-d", "Star.", 6.0, 3.5)]), "tie"),
        (ufb("Is ice cold?", [comp("m-a", "Yes.", 9.0, 5.0), comp("m-b", "No.", 1.0, 1.0),
                              comp("m-c", "Sometimes.", 5.0, 2.5)]),
         out("Is ice cold?", "Yes.", "No.")),
    ]
    case(trap("ties/ultrafeedback"), rows, layout="ultrafeedback")
    rows = [
        (nectar_row("\n\nHuman: Name a season.\n\nAssistant: ", [("Autumn.", 1), ("Tuesday.", 2)]),
         out("Name a season.", "Autumn.", "Tuesday.")),
        (nectar_row("\n\nHuman: Name a metal.\n\nAssistant: ", [("Iron.", 1), ("Tin.", 1)]), "tie"),
        (nectar_row("\n\nHuman: Name a dog breed.\n\nAssistant: ", [("Beagle.", 2), ("Poodle.", 2), ("Pug.", 2)]),
         "tie"),
        (nectar_row("\n\nHuman: Name a vegetable.\n\nAssistant: ", [("Apple.", 3), ("Carrot.", 1), ("Kale.", 2)]),
         out("Name a vegetable.", "Carrot.", "Apple.")),
    ]
    case(trap("ties/nectar"), rows, layout="nectar")


def identical_pair():
    rows = [
        ({"prompt": "Color of the sky?", "chosen": "Blue.", "rejected": "Green."},
         out("Color of the sky?", "Blue.", "Green.")),
        ({"prompt": "Color of the sea?", "chosen": "Blue.", "rejected": "Blue."}, "identical-pair"),
        ({"prompt": [u("Capital of Italy?")], "chosen": [a("Rome.")], "rejected": [a("Rome.")]}, "identical-pair"),
        # identical full conversations (TRL's off-by-one case): identical-pair, not a bogus split
        ({"chosen": [u("Capital of Spain?"), a("Madrid.")], "rejected": [u("Capital of Spain?"), a("Madrid.")]},
         "identical-pair"),
        # a trailing space is a difference: no trimming
        ({"prompt": "Capital of Japan?", "chosen": "Tokyo.", "rejected": "Tokyo. "},
         out("Capital of Japan?", "Tokyo.", "Tokyo. ")),
        # identical once the text parts are joined
        ({"prompt": [u("Capital of Greece?")], "chosen": [a([t("Ath"), t("ens.")])], "rejected": [a("Athens.")]},
         "identical-pair"),
        # both whitespace: empty-completion comes before identical-pair
        ({"prompt": "Say nothing.", "chosen": "  ", "rejected": "  "}, "empty-completion"),
        ({"prompt": "Capital of Egypt?", "chosen": "Cairo.", "rejected": "cairo."},
         out("Capital of Egypt?", "Cairo.", "cairo.")),
    ]
    case(trap("identical-pair"), rows, layout="trl")


def whitespace_only_answer():
    rows = [
        ({"prompt": "Say yes.", "chosen": "Yes.", "rejected": "No."}, out("Say yes.", "Yes.", "No.")),
        ({"prompt": "Describe rain.", "chosen": "   ", "rejected": "Wet."}, "empty-completion"),
        ({"prompt": "Describe snow.", "chosen": "Cold.", "rejected": "\n\t\r\n"}, "empty-completion"),
        # every character Unicode White_Space: ideographic space, NBSP, LINE SEPARATOR, NEL, EM SPACE
        ({"prompt": "Describe fog.", "chosen": "\u3000\u00a0\u2028\u0085\u2003", "rejected": "Grey."},
         "empty-completion"),
        # U+200B ZERO WIDTH SPACE is not White_Space: kept
        ({"prompt": "Describe air.", "chosen": "\u200b", "rejected": "Visible."},
         out("Describe air.", "\u200b", "Visible.")),
        # U+001F is not White_Space (Python's str.isspace says otherwise): kept
        ({"prompt": "Describe nothing.", "chosen": "\u001f", "rejected": "Visible."},
         out("Describe nothing.", "\u001f", "Visible.")),
        ({"prompt": [u("Answer please.")], "chosen": [a(" ")], "rejected": [a("Here.")]}, "empty-completion"),
        ({"prompt": [u("Answer again.")], "chosen": [a([t(" "), t("\n")])], "rejected": [a("Done.")]},
         "empty-completion"),
    ]
    case(trap("whitespace-only-answer"), rows, layout="trl")


def whitespace_only_prompt():
    rows = [
        ({"prompt": "Name a tree.", "chosen": "Oak.", "rejected": "Rock."}, out("Name a tree.", "Oak.", "Rock.")),
        ({"prompt": "  ", "chosen": "Oak.", "rejected": "Rock."}, "empty-prompt"),
        ({"prompt": "\u2003\n\u3000", "chosen": "Pine.", "rejected": "Stone."}, "empty-prompt"),
        # a non-empty system message does not make the prompt non-empty
        ({"prompt": [s("Be kind."), u("\t")], "chosen": [a("Hello.")], "rejected": [a("Go.")]}, "empty-prompt"),
        # U+200B is not White_Space: the prompt is not empty
        ({"prompt": "\u200b", "chosen": "Pardon?", "rejected": "Ok."}, out("\u200b", "Pardon?", "Ok.")),
        # empty-prompt comes before empty-completion
        ({"prompt": " ", "chosen": " ", "rejected": "x"}, "empty-prompt"),
        ({"chosen": "Birds can fly.", "rejected": "Birds can swim."}, "empty-prompt"),
        ({"prompt": "Name a flower.", "chosen": "Rose.", "rejected": "Rice."}, out("Name a flower.", "Rose.", "Rice.")),
    ]
    case(trap("whitespace-only-prompt"), rows, layout="trl")


def good_trl_rows():
    return [
        ({"prompt": "Name a planet.", "chosen": "Mars.", "rejected": "Pluto."}, out("Name a planet.", "Mars.", "Pluto.")),
        ({"prompt": [u("Name a continent.")], "chosen": [a("Africa.")], "rejected": [a("Greenland.")]},
         out("Name a continent.", "Africa.", "Greenland.")),
        ({"prompt": "Name a language.", "chosen": "Finnish.", "rejected": "Latin America."},
         out("Name a language.", "Finnish.", "Latin America.")),
    ]


def kto_rows():
    good = good_trl_rows()
    rows = [
        good[0],
        ({"prompt": "Is water wet?", "completion": "Yes.", "label": True}, "unpaired"),
        good[1],
        ({"prompt": [u("Is fire cold?")], "completion": [a("Yes.")], "label": False}, "unpaired"),
        ({"messages": [u("Is grass green?"), a("Usually.")], "kto_tag": True}, "unpaired"),
        good[2],
    ]
    case(trap("kto-rows"), rows, layout="trl", args=["--from", "trl"],
         note="KTO rows beside real pairs; --from trl so that detection is not the question here")
    kto_only = [
        {"prompt": "Is water wet?", "completion": "Yes.", "label": True},
        {"prompt": "Is fire cold?", "completion": "Yes.", "label": False},
        {"prompt": "Is snow white?", "completion": "Yes.", "label": True},
        {"prompt": "Is tar white?", "completion": "Yes.", "label": False},
    ]
    write(ROOT / trap("kto-only") / "input.jsonl", jsonl_bytes(kto_only))
    write_expected(ROOT / trap("kto-only") / "expected.json",
                   {"args": [], "exit_code": 1, "output": [],
                    "note": "a file of KTO rows only: every row is unpaired (or the layout is refused); nothing is "
                            "written, exit 1. read/dropped not pinned: 'read 4, dropped {unpaired: 4}' is expected "
                            "if the tool reports per-row drops."})


def sft_rows():
    rows = [
        ({"messages": [u("Name an ocean.")], "chosen": a("Indian."), "rejected": a("Caspian.")},
         out("Name an ocean.", "Indian.", "Caspian.")),
        ({"messages": [u("Write hello."), a("hello")]}, "not-preference"),
        ({"messages": [u("Name a lake.")], "chosen": "Superior.", "rejected": "Sahara."},
         out("Name a lake.", "Superior.", "Sahara.")),
        ({"messages": [s("Be brief."), u("Name a cheese."), a("Brie.")]}, "not-preference"),
        ({"messages": [u("Name a spice.")], "chosen": [a("Cumin.")], "rejected": [a("Salt water.")]},
         out("Name a spice.", "Cumin.", "Salt water.")),
    ]
    case(trap("sft-rows"), rows, layout="messages-pair", args=["--from", "messages-pair"],
         note="SFT rows (messages only) beside messages-pair rows; --from messages-pair")
    sft_only = [
        {"messages": [u("Write hello."), a("hello")]},
        {"messages": [s("Be brief."), u("Name a cheese."), a("Brie.")]},
        {"messages": [u("Name a river."), a("Danube.")]},
    ]
    write(ROOT / trap("sft-only") / "input.jsonl", jsonl_bytes(sft_only))
    write_expected(ROOT / trap("sft-only") / "expected.json",
                   {"args": [], "exit_code": 1, "output": [],
                    "note": "a file of SFT rows only: refused with a message naming the layout seen (SFT); nothing "
                            "written, exit 1. read/dropped not pinned ('dropped {not-preference: 3}' if per-row)."})


def reward_model_rows():
    good = good_trl_rows()
    rows = [
        good[0],
        ({"text": "Q: Name a planet. A: Mars.", "label": 1}, "not-preference"),
        good[1],
        ({"text": "Q: Name a planet. A: The Sun.", "label": 0}, "not-preference"),
        good[2],
    ]
    case(trap("reward-model-rows"), rows, layout="trl", args=["--from", "trl"],
         note="reward-model rows (text + label) beside trl pairs; --from trl")
    rm_only = [
        {"text": "Q: Name a planet. A: Mars.", "label": 1},
        {"text": "Q: Name a planet. A: The Sun.", "label": 0},
        {"text": "Q: Name a star. A: Sirius.", "label": 1},
    ]
    write(ROOT / trap("reward-model-only") / "input.jsonl", jsonl_bytes(rm_only))
    write_expected(ROOT / trap("reward-model-only") / "expected.json",
                   {"args": [], "exit_code": 1, "output": [],
                    "note": "a file of reward-model rows only (text + label): refused with a message naming the "
                            "layout seen; nothing written, exit 1. read/dropped not pinned."})


def numbered_trl(count):
    rows = []
    for i in range(count):
        x, y = i + 2, 2 * i + 3
        prompt = f"What is {x} plus {y}?"
        rows.append(({"prompt": prompt, "chosen": str(x + y), "rejected": str(x + y + 1)},
                     out(prompt, str(x + y), str(x + y + 1))))
    return rows


SHAREGPT_ROWS = [
    {"conversations": sg(("human", "Name a gemstone.")), "chosen": gpt("Ruby."), "rejected": gpt("Granite.")},
    {"conversations": sg(("human", "Name a planet with rings.")), "chosen": gpt("Saturn."), "rejected": gpt("Mercury.")},
]


def mixed_layouts():
    trl_rows = numbered_trl(8)
    records = [r for r, _ in trl_rows]
    records.insert(2, SHAREGPT_ROWS[0])
    records.insert(6, SHAREGPT_ROWS[1])
    directory = ROOT / trap("mixed-layouts")
    write(directory / "input.jsonl", jsonl_bytes(records))
    write_expected(directory / "expected.json", {
        "args": [], "exit_code": 1, "output": [],
        "note": "8 trl rows + 2 sharegpt rows (lines 3 and 7). Detection samples all 10; whichever adapter it tries "
                "first fails on at least 20% of the sample (trl: 2/10, sharegpt: 8/10), above the 5% limit, so "
                "CONVERT.md says name the candidates instead of guessing: layout not detected, exit 1, nothing "
                "written."})
    outputs = [e for _, e in trl_rows]
    write_expected(directory / "expected-from-trl.json", {
        "args": ["--from", "trl"], "layout": "trl", "detected": False, "read": 10, "written": 8,
        "dropped_total": 2, "exit_code": 0, "output": outputs,
        "note": "forced trl: the 2 sharegpt rows are dropped. Their reason is not pinned: CONVERT.md has no "
                "'wrong shape' reason (chosen/rejected are {from,value} objects, no prompt); missing-field is the "
                "likely one."})
    # few enough foreign rows to stay under 5% of the sample: trl is detected, the stray row is dropped
    rare = numbered_trl(40)
    records = [r for r, _ in rare]
    records.insert(20, SHAREGPT_ROWS[0])
    directory = ROOT / trap("mixed-layouts-rare")
    write(directory / "input.jsonl", jsonl_bytes(records))
    write_expected(directory / "expected.json", {
        "args": [], "layout": "trl", "detected": True, "read": 41, "written": 40, "dropped_total": 1,
        "exit_code": 0, "output": [e for _, e in rare],
        "note": "40 trl rows + 1 sharegpt row (line 21): 1/41 = 2.4% of the sample fails, under the 5% limit, so trl "
                "is detected and the stray row is dropped (reason not pinned; likely missing-field)."})


def multi_turn_prompt():
    rows = [
        ({"prompt": [u("Name a planet.")], "chosen": [a("Mars.")], "rejected": [a("Pluto.")]},
         out("Name a planet.", "Mars.", "Pluto.")),
        ({"prompt": [u("Hi."), a("Hello! How can I help?"), u("Recommend a book.")], "chosen": [a("Dune.")],
          "rejected": [a("No.")]},
         "multi-turn-prompt"),
        ({"chosen": [u("I like tea."), a("Nice!"), u("Suggest a variety."), a("Try oolong.")],
          "rejected": [u("I like tea."), a("Nice!"), u("Suggest a variety."), a("Coffee.")]},
         "multi-turn-prompt"),
        ({"prompt": [s("You are a chef."), u("I have eggs."), a("Great."), u("What can I cook?")],
          "chosen": [a("An omelette.")], "rejected": [a("Nothing.")]},
         "multi-turn-prompt"),
        ({"prompt": "Name a metal.", "chosen": "Copper.", "rejected": "Wood."}, out("Name a metal.", "Copper.", "Wood.")),
        ({"prompt": [s("Answer in one word."), u("Color of coal?")], "chosen": [a("Black.")], "rejected": [a("White.")]},
         out([s("Answer in one word."), u("Color of coal?")], "Black.", "White.")),
    ]
    flatten = [e if isinstance(e, dict) else {"flattened": True} for _, e in rows]
    case(trap("multi-turn-prompt"), rows, layout="trl",
         variants=[("expected-flatten.json", ["--multi-turn", "flatten"], flatten, False,
                    "counts only: CONVERT.md says the earlier turns are folded into the final user message as 'a "
                    "plainly labelled transcript' but does not fix its exact text, so the output is not pinned")])


def bad_role_order():
    rows = [
        ({"prompt": [u("Pick a color.")], "chosen": [a("Blue.")], "rejected": [a("Loud.")]},
         out("Pick a color.", "Blue.", "Loud."), "ok"),
        ({"prompt": [u("I have a question."), u("What is the capital of Chile?")], "chosen": [a("Santiago.")],
          "rejected": [a("Lima.")]},
         "bad-role-order", "ok"),
        ({"prompt": [s("Be brief."), u("Hello."), u("Name a tree.")], "chosen": [a("Oak.")], "rejected": [a("Rock.")]},
         "bad-role-order", "ok"),
        # merged it becomes user/assistant/user: still a multi-turn prompt
        ({"prompt": [u("Tell me a fact."), a("Honey never spoils."), a("Octopuses have three hearts."),
                     u("Another?")],
          "chosen": [a("Bananas are berries.")], "rejected": [a("No.")]},
         "bad-role-order", "multi-turn-prompt"),
        ({"chosen": [u("Quick question."), u("Is ice cold?"), a("Yes.")],
          "rejected": [u("Quick question."), u("Is ice cold?"), a("No.")]},
         "bad-role-order", "ok"),
        ({"prompt": "Name a bird.", "chosen": "Owl.", "rejected": "Bat."}, out("Name a bird.", "Owl.", "Bat."), "ok"),
    ]
    merge = [{"merged": True} if m == "ok" else m for _, _, m in rows]
    case(trap("bad-role-order"), [(r, e) for r, e, _ in rows], layout="trl",
         variants=[("expected-merge.json", ["--merge-consecutive"], merge, False,
                    "counts only: the text joining merged turns is not fixed by CONVERT.md")])


def unsupported_role():
    rows = [
        ({"prompt": [u("Name a fish.")], "chosen": [a("Salmon.")], "rejected": [a("Whale.")]},
         out("Name a fish.", "Salmon.", "Whale.")),
        ({"prompt": [u("Weather in Rome?"), a("Let me check."), msg("tool", "sunny, 24C"), u("So, umbrella?")],
          "chosen": [a("No umbrella needed.")], "rejected": [a("Yes.")]},
         "unsupported-role"),
        ({"prompt": [u("Compute 2**8."), {"role": "function", "name": "calc", "content": "256"}, u("Result?")],
          "chosen": [a("256.")], "rejected": [a("16.")]},
         "unsupported-role"),
        ({"prompt": [u("Look up order 17."), msg("observation", "{\"status\": \"shipped\"}"), u("Status?")],
          "chosen": [a("Shipped.")], "rejected": [a("Lost.")]},
         "unsupported-role"),
        ({"prompt": [u("Find cheap flights.")],
          "chosen": [msg("function_call", "{\"name\": \"search\", \"arguments\": {}}")],
          "rejected": [a("I don't know.")]},
         "unsupported-role"),
        ({"prompt": [s("Answer briefly."), u("Name a tool.")], "chosen": [a("Hammer.")], "rejected": [a("Cloud.")]},
         out([s("Answer briefly."), u("Name a tool.")], "Hammer.", "Cloud.")),
    ]
    case(trap("unsupported-role"), rows, layout="trl")


def multimodal():
    rows = [
        ({"prompt": [u("Name a farm animal.")], "chosen": [a("A cow.")], "rejected": [a("A shark.")]},
         out("Name a farm animal.", "A cow.", "A shark.")),
        ({"prompt": [u([t("What animal is this?"),
                        {"type": "image_url", "image_url": {"url": "https://example.com/fox.jpg"}}])],
          "chosen": [a("A fox.")], "rejected": [a("A car.")]},
         "multimodal"),
        ({"prompt": [u([{"type": "image"}, t("Describe the image.")])], "chosen": [a("A red barn.")],
          "rejected": [a("A boat.")], "images": ["barn.png"]},
         "multimodal"),
        ({"prompt": [u("Help me forge a signature.")], "chosen": [a("I can't help with forgery.")],
          "rejected": [a([{"type": "refusal", "refusal": "Refused."}])]},
         "multimodal"),
        ({"prompt": [u([t("Name a "), t("color.")])], "chosen": [a("Teal.")], "rejected": [a("Loud.")]},
         out("Name a color.", "Teal.", "Loud.")),
        ({"prompt": "Name a fruit.", "chosen": "Mango.", "rejected": "Potato."}, out("Name a fruit.", "Mango.", "Potato.")),
    ]
    case(trap("multimodal"), rows, layout="trl")


def content_parts():
    rows = [
        ({"prompt": [u([t("Tell me "), t("a joke.")])], "chosen": [a("Why did the chicken cross the road?")],
          "rejected": [a("No.")]},
         out("Tell me a joke.", "Why did the chicken cross the road?", "No.")),
        ({"prompt": [u([{"type": "text", "value": "Hi"}, {"type": "text", "value": " there"}])],
          "chosen": [a("Hello!")], "rejected": [a("Go away.")]},
         out("Hi there", "Hello!", "Go away.")),
        ({"prompt": [u("Name a sport.")], "chosen": [a([t("foot"), t("ball")])], "rejected": [a([t("base"), t("ball")])]},
         out("Name a sport.", "football", "baseball")),
        ({"prompt": [s([t("Be "), t("formal.")]), u([t("line one"), t("\n"), t("line two")])],
          "chosen": [a("Noted.")], "rejected": [a("k")]},
         out([s("Be formal."), u("line one\nline two")], "Noted.", "k")),
        ({"prompt": [u([t("Count to 3.")])], "chosen": [a([t("1 2 3")])], "rejected": [a("3 2 1")]},
         out("Count to 3.", "1 2 3", "3 2 1")),
        ({"chosen": [u([t("Sum of "), t("2 and 2?")]), a([t("4")])],
          "rejected": [u([t("Sum of "), t("2 and 2?")]), a("5")]},
         out("Sum of 2 and 2?", "4", "5")),
    ]
    case(trap("content-parts"), rows, layout="trl")


def unicode_roundtrip():
    rows = [
        ({"prompt": "Line one\u2028line two\u2029para",
          "chosen": "Bell:\u0007 emoji:\U0001F600 rtl:\u200f\u05e9\u05dc\u05d5\u05dd\u200e tab:\there\nnewline",
          "rejected": "Caf\u00e9 and Cafe\u0301"},
         None),
        ({"prompt": "Zwj: \U0001F469\u200d\U0001F4BB and \U0001D11E",
          "chosen": "\u202eevil\u202c override; quote \" and backslash \\",
          "rejected": "Arabic: \u0645\u0631\u062d\u0628\u0627\u061c and \u2066isolate\u2069"},
         None),
        ({"prompt": "Tabs\tand\r\nCRLF inside",
          "chosen": "\uff26\uff35\uff2c\uff2c width and \ufb01 ligature",
          "rejected": "Kelvin \u212a vs K"},
         None),
    ]
    rows = [(r, out(r["prompt"], r["chosen"], r["rejected"])) for r, _ in rows]
    # line 1 and 3 carry the characters raw (U+2028 unescaped inside the JSON string); line 2 uses \u escapes
    case(trap("unicode-roundtrip"), rows, layout="trl", ascii_lines={1}, ascii_expected=True,
         note="every string must come out byte-for-byte equal as text: no NFC/NFKC, no trimming, no bidi "
              "stripping; line 2 of the input is \\u-escaped (astral characters as surrogate pairs), lines 1 and 3 "
              "are raw UTF-8 (line 1 has raw U+2028/U+2029 inside a string)")


def lfs_pointer():
    oid = hashlib.sha256(b"not real data").hexdigest()
    text = f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize 48213\n"
    write(ROOT / trap("lfs-pointer") / "input.jsonl", text.encode())
    write_expected(ROOT / trap("lfs-pointer") / "expected.json",
                   {"args": [], "exit_code": 2, "stderr_contains": "LFS",
                    "note": "a Git LFS pointer gets its own clear error (CONVERT.md Containers)"})


def gzip_cases():
    rows = numbered_trl(3) + [
        ({"prompt": "Name a gas.", "chosen": "Neon.", "rejected": "Glass."}, out("Name a gas.", "Neon.", "Glass.")),
        ({"prompt": [u("Name a shape.")], "chosen": [a("Hexagon.")], "rejected": [a("Purple.")]},
         out("Name a shape.", "Hexagon.", "Purple.")),
    ]
    data = jsonl_bytes([r for r, _ in rows])
    cut = len(data) // 2 + 7  # the member boundary falls inside a record: gzip members concatenate as bytes
    boundary_line = data[:cut].count(b"\n") + 1
    blob = gzip.compress(data[:cut], compresslevel=9, mtime=0) + gzip.compress(data[cut:], compresslevel=9, mtime=0)
    directory = ROOT / trap("gzip")
    write(directory / "input.jsonl.gz", blob)
    write_expected(directory / "expected.json", expectation(
        [e for _, e in rows], layout="trl",
        note=f"two gzip members concatenated; the boundary falls in the middle of line {boundary_line}"))

    rows = numbered_trl(12)
    data = jsonl_bytes([r for r, _ in rows])
    blob = gzip.compress(data, compresslevel=9, mtime=0)
    directory = ROOT / trap("truncated-gzip")
    write(directory / "input.jsonl.gz", blob[: len(blob) // 2])
    write_expected(directory / "expected.json",
                   {"args": [], "exit_code": 2, "output_file": "absent",
                    "note": "the gzip stream ends early: the tool cannot read the input (exit 2) and must not leave a "
                            "partial output file"})


def pretty_printed_object():
    record = {"prompt": [s("Be brief."), u("Name a moon of Mars.")], "chosen": [a("Phobos.")],
              "rejected": [a("Titan.")]}
    directory = ROOT / trap("pretty-printed-object")
    write(directory / "input.json", (json.dumps(record, indent=2) + "\n").encode())
    write_expected(directory / "expected.json", expectation(
        [out([s("Be brief."), u("Name a moon of Mars.")], "Phobos.", "Titan.")], layout="trl",
        note="the whole file is one pretty-printed JSON object: one record (CONVERT.md Containers); fewer than 3 "
             "records converts with a warning"))


def blank_lines_crlf():
    rows = numbered_trl(4)
    records = [BLANK, rows[0][0], BLANK, rows[1][0], Raw(" \t "), rows[2][0], BLANK, BLANK, rows[3][0], BLANK]
    directory = ROOT / trap("blank-lines-crlf")
    write(directory / "input.jsonl", jsonl_bytes(records, eol="\r\n"))
    write_expected(directory / "expected.json", expectation(
        [e for _, e in rows], layout="trl",
        note="CRLF line ends, empty lines and a spaces-and-tab line: blank lines are not records (read 4)"))


def bom():
    rows = numbered_trl(3)
    directory = ROOT / trap("bom")
    write(directory / "input.jsonl", jsonl_bytes([r for r, _ in rows], bom=True))
    write_expected(directory / "expected.json", expectation(
        [e for _, e in rows], layout="trl",
        note="UTF-8 byte-order mark before line 1: LAYOUTS.md 4 says tolerate it (CONVERT.md is silent)"))


def parse_error():
    good = numbered_trl(4)
    records = [good[0][0], good[1][0], Raw('{"prompt": "Unclosed", "chosen": "x"'), good[2][0], good[3][0]]
    directory = ROOT / trap("parse-error")
    write(directory / "input.jsonl", jsonl_bytes(records))
    expects = [good[0][1], good[1][1], "parse-error", good[2][1], good[3][1]]
    write_expected(directory / "expected.json", expectation(
        expects, layout="trl", args=["--from", "trl"],
        note="line 3 is not valid JSON: dropped as parse-error, the rest converts; --from trl keeps detection out "
             "of it"))


# --------------------------------------------------------------------------------------------------------------

def main():
    for name in LAYOUT_DIRS + [TRAPS_DIR]:
        path = ROOT / name
        if path.exists():
            shutil.rmtree(path)
    fireworks()
    trl()
    hh_layout()
    sharegpt()
    alpaca()
    messages_pair()
    chosen_rejected_messages()
    orca()
    ultrafeedback()
    nectar()
    shp()
    pku()
    stack_exchange()
    mapped()

    hh_early_divergence()
    hh_bare_human()
    one_side_prefix()
    ties()
    identical_pair()
    whitespace_only_answer()
    whitespace_only_prompt()
    kto_rows()
    sft_rows()
    reward_model_rows()
    mixed_layouts()
    multi_turn_prompt()
    bad_role_order()
    unsupported_role()
    multimodal()
    content_parts()
    unicode_roundtrip()
    lfs_pointer()
    gzip_cases()
    pretty_printed_object()
    blank_lines_crlf()
    bom()
    parse_error()


if __name__ == "__main__":
    main()
