"""Code and demo links found in realistic abstracts and arXiv comments."""

from __future__ import annotations

import pytest

from bot.papers.links import Link, Links, extract_links
from tests.harness.arxiv import shared_dir

CASES: list[tuple[str, tuple[str, ...], list[tuple[str, str]], list[tuple[str, str]]]] = [
    (
        "llava: code sentence and project page in the comment",
        (
            "We present the first attempt to use language-only GPT-4 to generate multimodal "
            "language-image instruction-following data. Code is available at "
            "https://github.com/haotian-liu/LLaVA.",
            "NeurIPS 2023 Oral; project page: https://llava-vl.github.io/",
        ),
        [
            ("GitHub", "https://github.com/haotian-liu/LLaVA"),
            ("Project Page", "https://llava-vl.github.io/"),
        ],
        [],
    ),
    (
        "weights on the hub are code-column material",
        (
            "Our code and training weights are placed at: https://github.com/DLYuanGod/TinyGPT-V "
            "and https://huggingface.co/Tyrannosaurus/TinyGPT-V respectively.",
        ),
        [
            ("GitHub", "https://github.com/DLYuanGod/TinyGPT-V"),
            ("HuggingFace", "https://huggingface.co/Tyrannosaurus/TinyGPT-V"),
        ],
        [],
    ),
    (
        "a dataset on the hub",
        (
            "The annotated data in MIBench is available at "
            "https://huggingface.co/datasets/StarBottle/MIBench.",
        ),
        [("HuggingFace", "https://huggingface.co/datasets/StarBottle/MIBench")],
        [],
    ),
    (
        "spaces and colab are demos",
        (
            "Try the model in our Hugging Face space https://huggingface.co/spaces/merve/llava-next"
            " or in Colab (https://colab.research.google.com/drive/1Rmn8CYXRFg4eC458vkBHwAdVKgS03e5D"
            "?usp=sharing).",
        ),
        [],
        [
            ("HuggingFace", "https://huggingface.co/spaces/merve/llava-next"),
            (
                "Colab",
                "https://colab.research.google.com/drive/1Rmn8CYXRFg4eC458vkBHwAdVKgS03e5D"
                "?usp=sharing",
            ),
        ],
    ),
    (
        "a demo phrase makes an unknown site a demo",
        (
            "Select model weights, inference code, and demo are available at "
            "https://molmo.allenai.org.",
        ),
        [],
        [("Demo", "https://molmo.allenai.org")],
    ),
    (
        "a website phrase on a university site is a project page",
        (
            "Visit our project website at https://www.nec-labs.com/~mas/MM-TTA.",
            "Accepted at ECCV 2022. Website: https://example.org/mm-tta; code at "
            "gitlab.com/group/mm-tta.git",
        ),
        [
            ("Project Page", "https://www.nec-labs.com/~mas/MM-TTA"),
            ("Project Page", "https://example.org/mm-tta"),
            ("GitLab", "https://gitlab.com/group/mm-tta"),
        ],
        [],
    ),
    (
        "duplicates across abstract and comment, scheme-less github, paper links ignored",
        (
            "Code: github.com/state-spaces/s4. Builds on https://arxiv.org/abs/2008.07669 and "
            "https://openreview.net/forum?id=uYLFoz1vlAC.",
            "Code at https://github.com/state-spaces/s4/ ; licence "
            "https://creativecommons.org/licenses/by/4.0/ ; see also "
            "https://bitbucket.org/team/tool and (https://srush.github.io/annotated-s4/)",
        ),
        [
            ("GitHub", "https://github.com/state-spaces/s4"),
            ("Bitbucket", "https://bitbucket.org/team/tool"),
            ("Project Page", "https://srush.github.io/annotated-s4/"),
        ],
        [],
    ),
    (
        "hugging face pages that are neither code nor demo",
        (
            "Featured on https://huggingface.co/papers/2304.08485 and the "
            "https://huggingface.co/blog/llava post; https://github.com/features is no repo.",
        ),
        [],
        [],
    ),
    (
        "a live demo link",
        ("Demo: https://llava.hliu.cc/. Gradio app at https://abc123.gradio.live",),
        [],
        [("Demo", "https://llava.hliu.cc/"), ("Demo", "https://abc123.gradio.live")],
    ),
]


@pytest.mark.parametrize(
    ("texts", "code", "demo"),
    [pytest.param(texts, code, demo, id=name) for name, texts, code, demo in CASES],
)
def test_extract_links(
    texts: tuple[str, ...], code: list[tuple[str, str]], demo: list[tuple[str, str]]
) -> None:
    links = extract_links(*texts)
    assert list(links.code) == code
    assert list(links.demo) == demo


def test_nothing_found_is_falsy_and_none_is_skipped() -> None:
    links = extract_links("We study the modality gap.", None, "")
    assert links == Links()
    assert not links
    assert links.all == ()


def test_links_are_named_tuples_in_readme_style() -> None:
    links = extract_links("Code: https://github.com/openai/CLIP", "Demo at https://clip.demo.org")
    assert links.all == (
        Link("GitHub", "https://github.com/openai/CLIP"),
        Link("Demo", "https://clip.demo.org"),
    )
    name, url = links.code[0]
    assert f"[{name}]({url})" == "[GitHub](https://github.com/openai/CLIP)"


def test_candidate_feed_links_are_found_and_clean() -> None:
    text = (shared_dir() / "examples" / "candidate-feeds" / "feed-1.txt").read_text("utf-8")
    links = extract_links(text)
    urls = [link.url for link in links.all]
    assert "https://github.com/DLYuanGod/TinyGPT-V" in urls
    assert "https://huggingface.co/Tyrannosaurus/TinyGPT-V" in urls
    assert "https://nvlm-project.github.io/" in urls
    assert len(urls) == len({url.lower().rstrip("/") for url in urls})
    assert not [url for url in urls if url[-1] in ".,;:)"]
    assert not [url for url in urls if "arxiv.org" in url]
