"""The content vocabulary of `sparkle seed-demo`: categories, tags, fandom words and title
patterns, and pools of sentences and rendered documents built once per run."""

from __future__ import annotations

import random
from typing import Any

from sparkle.posts import content as post_content

DOCUMENT_TEMPLATES = 400
SENTENCE_POOL = 3000

# (name, icon, colour, description, children)
CATEGORIES: list[tuple[str, str, str, str, list[str]]] = [
    ("Announcements", "megaphone", "#f59e0b", "News from the Sparkle team.", []),
    (
        "Fan Creations",
        "palette",
        "#ec4899",
        "Art, cosplay, music and stories made by the community.",
        ["Fan Art", "Cosplay", "Music & Covers", "Fan Fiction"],
    ),
    (
        "Discussion",
        "messages",
        "#6366f1",
        "Episodes, lore and everything in between.",
        ["Theories", "Episode Talk", "Off-Topic"],
    ),
    (
        "Community",
        "users",
        "#10b981",
        "Say hello, meet up, ask for help.",
        ["Introductions", "Meetups & Events", "Help & Feedback"],
    ),
]
TAGS = [
    "sparkle", "fan-art", "cosplay", "glitter", "theories", "episode-recap", "lore", "music",
    "covers", "merch", "meetup", "con-report", "stardust", "moonlight", "fanfic", "ships",
    "behind-the-scenes", "collab", "tutorial", "lofi", "synthwave", "kpop", "anime",
    "retro-games", "pixel-art", "photography", "baking", "watch-party", "tabletop",
    "art-challenge", "sketchbook", "nail-art", "makeup", "diy", "crafts", "playlist",
    "concert", "livestream", "memes", "announcements", "feedback", "help", "introductions",
    "weekly-thread", "spoilers", "no-spoilers", "season-3", "trailer", "soundtrack",
    "dance-cover", "choreography", "edits", "amv", "wallpapers", "icons", "zine", "charity",
    "speedrun", "stop-motion", "digital-art", "traditional-art", "wip", "commissions",
]  # fmt: skip
FANDOM_WORDS = [
    "Sparkle", "sparkle", "glitter", "stardust", "moonlight", "the finale", "the new season",
    "fan art", "cosplay", "the soundtrack", "the Sparkle crew", "the comet arc", "the lore",
    "the convention", "the livestream", "the dance cover", "the trailer", "the zine",
]  # fmt: skip
TITLE_PATTERNS = [
    "My {adj} {thing} for {event}",
    "{adj} {thing}: a thread",
    "Finally finished my {thing}!",
    "Theory: {sentence}",
    "How I made a {adj} {thing} in a weekend",
    "{sentence}",
    "Weekly {thing} thread — share yours",
    "Unpopular opinion about {event}",
    "{adj} {thing} inspired by {event}",
    "Is anyone else obsessed with {event}?",
]
ADJECTIVES = [
    "glittery", "cosmic", "tiny", "cozy", "chaotic", "pastel", "neon", "hand-drawn",
    "holographic", "midnight", "dreamy", "retro", "sparkly", "moonlit", "wholesome",
]  # fmt: skip
THINGS = [
    "fan art", "cosplay", "playlist", "sketch", "zine", "dance cover", "wallpaper",
    "pixel art piece", "comic", "figure repaint", "nail art set", "cake", "AMV", "speedrun",
    "watch party", "theory board", "embroidery", "costume prop",
]  # fmt: skip
EVENTS = [
    "the finale", "the comet arc", "Sparkle Con", "the anniversary stream", "season 3",
    "the soundtrack drop", "the winter special", "the glitter festival", "the new trailer",
]  # fmt: skip


class Vocabulary:
    """Pools of sentences, titles, comment bodies and rendered documents, built once per run:
    generating and rendering 100,000 documents one by one would dominate the load."""

    def __init__(self, rng: random.Random, seed: int, media_origin: str) -> None:
        from faker import Faker

        fake = Faker("en_US")
        fake.seed_instance(seed)
        self.rng = rng
        self.sentences = [self._sentence(fake) for _ in range(SENTENCE_POOL)]
        self.documents = [self._document(media_origin) for _ in range(DOCUMENT_TEMPLATES)]

    def _sentence(self, fake: Any) -> str:
        words = fake.sentence(nb_words=self.rng.randint(6, 16)).rstrip(".").split()
        if self.rng.random() < 0.5:
            words.insert(self.rng.randrange(1, len(words) + 1), self.rng.choice(FANDOM_WORDS))
        return " ".join(words) + self.rng.choice([".", ".", ".", "!", "?"])

    def text(self, low: int, high: int) -> str:
        return " ".join(self.rng.choice(self.sentences) for _ in range(self.rng.randint(low, high)))

    def title(self) -> str:
        pattern = self.rng.choice(TITLE_PATTERNS)
        return pattern.format(
            adj=self.rng.choice(ADJECTIVES),
            thing=self.rng.choice(THINGS),
            event=self.rng.choice(EVENTS),
            sentence=self.rng.choice(self.sentences).rstrip(".!?"),
        )[:200]

    def _inline(self, sentences: int) -> list[dict[str, Any]]:
        nodes: list[dict[str, Any]] = []
        for _ in range(sentences):
            sentence = self.rng.choice(self.sentences)
            roll = self.rng.random()
            if roll < 0.2:
                head, _, tail = sentence.partition(" ")
                nodes.append({"type": "text", "text": head, "marks": [{"type": "bold"}]})
                nodes.append({"type": "text", "text": f" {tail} "})
            elif roll < 0.3:
                nodes.append({"type": "text", "text": sentence, "marks": [{"type": "italic"}]})
                nodes.append({"type": "text", "text": " "})
            elif roll < 0.35:
                link = {"type": "link", "attrs": {"href": "https://sparkle.example.com/wiki"}}
                nodes.append({"type": "text", "text": sentence, "marks": [link]})
                nodes.append({"type": "text", "text": " "})
            else:
                nodes.append({"type": "text", "text": f"{sentence} "})
        nodes[-1]["text"] = nodes[-1]["text"].rstrip() or "."
        return nodes

    def _paragraph(self) -> dict[str, Any]:
        return {"type": "paragraph", "content": self._inline(self.rng.randint(1, 4))}

    def _document(self, media_origin: str) -> tuple[dict[str, Any], post_content.Document]:
        blocks: list[dict[str, Any]] = [self._paragraph()]
        for _ in range(self.rng.randint(1, 5)):
            roll = self.rng.random()
            if roll < 0.2:
                heading = self.rng.choice(self.sentences).rstrip(".!?")
                blocks.append(
                    {
                        "type": "heading",
                        "attrs": {"level": self.rng.choice([2, 2, 3])},
                        "content": [{"type": "text", "text": heading}],
                    }
                )
            elif roll < 0.35:
                items = [
                    {"type": "listItem", "content": [self._paragraph()]}
                    for _ in range(self.rng.randint(2, 5))
                ]
                blocks.append({"type": "bulletList", "content": items})
            elif roll < 0.42:
                blocks.append({"type": "blockquote", "content": [self._paragraph()]})
            blocks.append(self._paragraph())
        doc = {"type": "doc", "content": blocks}
        return doc, post_content.parse(doc, media_origin=media_origin)
