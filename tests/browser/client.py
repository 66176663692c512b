"""The Playground's web page as a person uses it: pick a conversation, type, @mention the bot, click card buttons.

Selectors are the ones a person's eye follows (roles, names, visible text) plus three stable class names: the
composer (Lexical), the renderer's `.ac-adaptiveCard`, and `.fai-OutputCard`, a bot message in a chat. Every
wait is for something to appear on the page, never a fixed sleep.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from playground.organisation import BOT_NAME, ME, TEAM, Place

COMPOSER = '[data-lexical-editor="true"][role="textbox"]'
BOT_MESSAGE = ".fai-OutputCard"
CARD = ".ac-adaptiveCard"


def _appears(locator: Locator, action: Callable[[], None]) -> Locator:
    """Do `action`, wait until one more element matches `locator`, and return that new one (they append)."""
    before = locator.count()
    action()
    expect(locator).to_have_count(before + 1)
    return locator.nth(before)


class PlaygroundClient:
    def __init__(self, page: Page, url: str, guide_dir: Path | None) -> None:
        self.page = page
        self.url = url
        self._guide_dir = guide_dir

    def load(self) -> None:
        """Open the Playground (which re-sends its install events) with the log panel closed, as people see it."""
        self.page.goto(self.url)
        self.page.get_by_role("button", name="Hide log panel").click()
        expect(self.page.get_by_role("treeitem", name="Personal Chat")).to_be_visible()

    # ---- conversations -------------------------------------------------------------------------------------------

    def open_chat(self, place: Place) -> None:
        self.page.get_by_role("treeitem", name=place.name).click()

    def open_channel(self, channel: Place) -> None:
        self.page.get_by_role("treeitem", name=f"{TEAM.name} - {channel.name}").click()

    def close_dialogs(self) -> None:
        """Leave no dialog open for the next test (a failed test may have left one)."""
        dialogs = self.page.get_by_role("dialog")
        while open_dialogs := dialogs.count():
            dialogs.last.get_by_role("button", name="Close").click()
            expect(dialogs).to_have_count(open_dialogs - 1)

    # ---- messages --------------------------------------------------------------------------------------------------

    def _type(self, composer: Locator, text: str) -> None:
        composer.click()
        composer.press_sequentially(text)

    def send(self, text: str) -> None:
        """Type into the chat's message box and press Enter."""
        composer = self.page.locator(COMPOSER).last
        self._type(composer, text)
        composer.press("Enter")

    def ask(self, text: str, expected: str) -> Locator:
        """Send `text` in a 1:1 chat and return the bot's new message that shows `expected`."""
        return _appears(self.page.locator(BOT_MESSAGE).filter(has_text=expected), lambda: self.send(text))

    def post_mentioning_bot(self, text: str) -> Locator:
        """Start a new channel post: @ + pick the bot from the list, then `text`; return the post's thread."""
        post_button = self.page.get_by_role("button", name="Post", exact=True)
        composer = self.page.get_by_role("group").filter(has=post_button).locator(COMPOSER)
        # My own posts with this text (the bot's cards may show the same words, and arrive at any time); counted
        # before typing, since the message box is a group that shows the text too.
        mine = self.page.get_by_text(ME.name, exact=True)
        threads = self.page.get_by_role("group").filter(has_text=text).filter(has=mine)
        before = threads.count()
        self._type(composer, "@")
        self.page.get_by_role("menuitem", name=BOT_NAME).click()
        composer.press_sequentially(f" {text}")
        post_button.click()
        expect(threads).to_have_count(before + 1)
        return threads.first  # a channel lists its newest post first (older ones may show the same words)

    @staticmethod
    def card_in(where: Locator, text: str) -> Locator:
        """The card in `where` that shows `text`, once it is there."""
        card = where.locator(CARD).filter(has_text=text).last
        expect(card).to_be_visible()
        return card

    def pinned(self, card: Locator) -> Locator:
        """The same card even after an update changes what it shows (`card_in` finds a card by its text)."""
        index = card.evaluate(f"card => [...document.querySelectorAll({CARD!r})].indexOf(card)")
        return self.page.locator(CARD).nth(index)

    # ---- message extension (compose box) ---------------------------------------------------------------------------

    def open_action_command(self, command_id: str) -> Locator:
        """The compose box's message extension button → Action Command → fetch the dialog from the bot.

        The Playground does not read the app manifest, so it asks for the command id a Teams user would pick
        from the app's menu (ours: createPoll, "投票を作成")."""
        self.page.get_by_role("button", name="Trigger Message Extension App").first.click()
        self.page.get_by_role("menuitem", name="Action Command").click()
        chooser = self.page.get_by_role("dialog", name="Command ID option dialog")
        chooser.get_by_role("textbox").fill(command_id)
        chooser.get_by_text("Adaptive Cards").click()
        chooser.get_by_role("button", name="Create").click()
        dialog = self.page.get_by_role("dialog").filter(has=self.page.locator(CARD))
        expect(dialog).to_be_visible()
        return dialog

    # ---- pictures for the guide ------------------------------------------------------------------------------------

    @contextmanager
    def tall_page(self, height: int = 1600) -> Iterator[None]:
        """A taller window for a while, for a picture of a dialog longer than the usual window."""
        usual = self.page.viewport_size
        assert usual is not None
        self.page.set_viewport_size({"width": usual["width"], "height": height})
        try:
            yield
        finally:
            self.page.set_viewport_size(usual)

    def _hide_log_panel(self) -> None:
        """The log panel `load` hid may have opened again (the Playground opens it as it starts): hide it."""
        panel = self.page.get_by_text("Log Panel", exact=True)
        if panel.is_visible():
            self.page.get_by_role("button", name="Toggle Log Panel").click()
            expect(panel).to_be_hidden()

    def picture(self, name: str, of: Locator | None = None) -> None:
        """Save docs/guide/<name>.png (the whole page, or one element) when the run makes the guide's pictures."""
        if self._guide_dir is None:
            return
        path = self._guide_dir / f"{name}.png"
        if of is None:
            self._hide_log_panel()
            self.page.screenshot(path=path)
        else:
            of.screenshot(path=path)
