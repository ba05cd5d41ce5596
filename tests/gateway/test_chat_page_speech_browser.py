"""Issue #14, item 7: 🔊 reads an answer aloud (speechSynthesis, a zh-CN voice), only on a phone that has
a Chinese voice. The phone's voices are faked before the page loads: getVoices() and speak() replaced,
speak() recording what it was given.
"""

from __future__ import annotations

import json

import pytest

from tests.gateway.browser import CHROMIUM, MISSING, bot_rows, shoot, text_of, wait_for_answer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

if not CHROMIUM.exists():
    pytest.skip(MISSING, allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

ZH = {"lang": "zh-CN", "name": "Fake 普通话", "voiceURI": "fake-zh", "localService": True, "default": True}
EN = {"lang": "en-US", "name": "Fake English", "voiceURI": "fake-en", "localService": True, "default": True}


def fake_voices(voices: list[dict], late_ms: int = 0) -> str:
    """The page's speechSynthesis with these voices (after late_ms, then a voiceschanged event)."""
    return f"""
    (() => {{
      const voices = {json.dumps(voices, ensure_ascii=False)};
      let ready = {"false" if late_ms else "true"};
      window.__spoken = [];
      window.__cancelled = 0;
      speechSynthesis.getVoices = () => (ready ? voices : []);
      speechSynthesis.speak = (u) => window.__spoken.push({{ text: u.text, lang: u.lang }});
      speechSynthesis.cancel = () => {{ window.__cancelled += 1; }};
      if (!ready) setTimeout(() => {{ ready = true; speechSynthesis.dispatchEvent(new Event("voiceschanged")); }}, {late_ms});
    }})();
    """


@pytest.mark.parametrize("late_ms", [0, 800], ids=["voices-at-once", "voices-later"])
def test_read_aloud_with_a_chinese_voice(page, gateway, kb, late_ms):
    page.add_init_script(fake_voices([EN, ZH], late_ms))
    page.goto(gateway + "/")
    wait_for_answer(page, 1)
    greeting_row = bot_rows(page).first
    speak = greeting_row.locator(".speak")
    expect(speak).to_be_visible()
    assert speak.get_attribute("aria-label") == "朗读这条回答"
    assert speak.bounding_box()["height"] >= 44

    page.get_by_role("button", name=kb.answers["hotline_12333"].title).click()
    answer = wait_for_answer(page, 2)
    assert text_of(answer) == kb.render("hotline_12333")
    row = bot_rows(page).nth(1)
    row.locator(".speak").click()
    assert page.evaluate("() => window.__spoken") == [{"text": kb.render("hotline_12333"), "lang": "zh-CN"}]
    expect(row.locator(".speak")).to_have_attribute("aria-pressed", "true")
    shoot(page, "chat-read-aloud.png")
    # a second tap stops it
    cancelled = page.evaluate("() => window.__cancelled")
    row.locator(".speak").click()
    assert page.evaluate("() => window.__cancelled") == cancelled + 1
    expect(row.locator(".speak")).to_have_attribute("aria-pressed", "false")
    assert len(page.evaluate("() => window.__spoken")) == 1


@pytest.mark.parametrize("voices", [[EN], []], ids=["english-only", "no-voices"])
def test_no_read_aloud_without_a_chinese_voice(page, gateway, voices):
    page.add_init_script(fake_voices(voices))
    page.goto(gateway + "/")
    wait_for_answer(page, 1)
    expect(bot_rows(page).first.locator(".copy")).to_be_visible()  # the tools are there…
    page.wait_for_timeout(300)
    expect(page.locator(".speak:visible")).to_have_count(0)  # …but no 🔊


def test_no_read_aloud_without_speech_synthesis(page, gateway):
    page.add_init_script("Object.defineProperty(window, 'speechSynthesis', { value: undefined });")
    page.goto(gateway + "/")
    wait_for_answer(page, 1)
    expect(bot_rows(page).first.locator(".copy")).to_be_visible()
    expect(page.locator(".speak:visible")).to_have_count(0)
