"""Station posters (issue 20 item 5): `trygghetsbot poster` writes an A4 PDF whose QR code,
read back from the rendered page by a real decoder (zxing-cpp), is the bot's deep link; its
start payload, sent to the bot in the emulator, begins a report at that station."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pypdf
import pypdfium2
import pytest
import zxingcpp

from bot.cli import main
from bot.domain import deeplinks
from bot.emulator import Emulator
from bot.i18n import Catalogs
from tests.people import Person, agree

RESIDENT, OTHER = 3001, 3002


def qr_codes(pdf: Path) -> list[str]:
    """The QR codes a phone's camera would see on page 1 (rendered at 100 dpi)."""
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=100 / 72).to_pil()
    return [code.text for code in zxingcpp.read_barcodes(image)]


def make_poster(out: Path, *extra: str, station: str = "Jakobsberg") -> int:
    return main(["poster", "--station", station, "--out", str(out), *extra])


async def test_the_posters_code_starts_a_report_at_its_station(
    live_bot: Emulator,
    catalogs: Catalogs,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    username = live_bot.world.bot_username
    monkeypatch.setenv("TRYGG_BOT_USERNAME", "@" + username)
    out = tmp_path / "jakobsberg.pdf"
    assert make_poster(out) == 0, capsys.readouterr().err
    assert capsys.readouterr().out.strip() == f"Affischen för Jakobsberg är sparad i {out}."

    (url,) = qr_codes(out)
    assert url == f"https://t.me/{username}?start=s_jakobsberg"
    (payload,) = parse_qs(urlsplit(url).query)["start"]

    resident = Person(live_bot.world, RESIDENT, catalogs)
    replies = await resident.say(f"/start {payload}")
    texts = [m.text for m in replies]
    assert "✓ Jakobsberg" in texts  # as if the resident had chosen the station
    consent = replies[-1].text
    assert "Lokalpolisområde Järfälla, Järfälla kommun" in consent  # Jakobsberg's recipients
    assert "allmän handling" in consent
    await agree(resident)  # the report goes on as usual: the categories of Jakobsberg
    assert "Belysning" in {b["text"] for b in live_bot.world.last(RESIDENT).inline_buttons}


def test_the_posters_text_is_real_text(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, catalogs: Catalogs
) -> None:
    monkeypatch.setenv("TRYGG_BOT_USERNAME", "trygghetsboten_bot")
    out = tmp_path / "poster.pdf"
    assert make_poster(out, station="jakobsberg") == 0
    reader = pypdf.PdfReader(out)
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(
        (595.28, 841.89), abs=0.5
    )  # A4
    text = " ".join(page.extract_text().split())
    assert "Känns det otryggt vid Jakobsberg?" in text
    assert "Berätta för kommunpolisen." in text
    assert "Vid akut fara: ring 112." in text
    assert "t.me/trygghetsboten_bot?start=s_jakobsberg" in text  # the link under the code
    lines = page.extract_text().splitlines()
    for lang in ("en", "fi"):  # one line each, whole
        line = catalogs.text(lang, "poster.line", station="Jakobsberg")
        assert line in lines
    assert any("هل تشعر بعدم الأمان" in line for line in lines)  # Arabic, shaped to text


@pytest.mark.parametrize(
    "payload",
    ["s_nowhere", "s_../x", "s_" + "a" * 63, "s_", "s_Jakobsberg", "s_jakobsberg_x"],
)
async def test_a_forged_station_payload_gets_the_welcome(
    live_bot: Emulator, catalogs: Catalogs, payload: str
) -> None:
    """Never an error, never taken for an invite code: the plain /start answer."""
    welcome = [m.text for m in await Person(live_bot.world, OTHER, catalogs).say("/start")]
    resident = Person(live_bot.world, RESIDENT, catalogs)
    replies = await resident.say(f"/start {payload}")
    assert [m.text for m in replies] == welcome
    assert any(resident.t("menu.report") in b["text"] for b in replies[-1].inline_buttons)


async def test_a_station_link_during_a_report_starts_over_there(
    live_bot: Emulator, catalogs: Catalogs
) -> None:
    """A poster scanned while another report is open begins a new one at the poster's station;
    a forged one leaves the open report as it was."""
    resident = Person(live_bot.world, RESIDENT, catalogs)
    await resident.say("/rapport")
    await resident.tap("Floda")
    await resident.say("/start s_nowhere")
    await agree(resident)  # the Floda report went on
    replies = await resident.say("/start s_jakobsberg")
    assert "✓ Jakobsberg" in [m.text for m in replies]
    assert "Belysning" in {b["text"] for b in replies[-1].inline_buttons}  # consent given


def test_the_cli_refuses_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "poster.pdf"
    assert make_poster(out) == 2  # no username: no link to print
    assert capsys.readouterr().err.splitlines() == [
        "Botens användarnamn är okänt. Skriv det i TRYGG_BOT_USERNAME (till exempel"
        " trygghetsboten_bot), så kan länken på affischen leda till boten."
    ]
    monkeypatch.setenv("TRYGG_BOT_USERNAME", "trygghetsboten_bot")
    assert make_poster(out, station="Nowhere") == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith('Okänd station: "Nowhere".')
    assert not out.exists()
    out.write_bytes(b"keep")
    assert make_poster(out) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"Filen {out} finns redan. Välj ett annat namn, eller skriv --force för att ersätta den."
    ]
    assert out.read_bytes() == b"keep"
    assert make_poster(out, "--force") == 0
    assert out.read_bytes().startswith(b"%PDF-")
    assert [p.name for p in tmp_path.iterdir()] == ["poster.pdf"]  # no partial file left


def test_the_payload_rule() -> None:
    assert deeplinks.station_payload("jakobsberg") == "s_jakobsberg"
    assert deeplinks.station_of("s_jakobsberg") == "jakobsberg"
    longest = "a" * 24
    assert len(deeplinks.station_payload(longest)) <= deeplinks.PAYLOAD_MAX
    assert deeplinks.station_of(deeplinks.station_payload(longest)) == longest
    for bad in ("s_", "s_-x", "s_A", "s_a/b", "s_" + "a" * 25, "jakobsberg", "ABCDEFGH"):
        assert deeplinks.station_of(bad) is None, bad
    with pytest.raises(ValueError, match="not a station id"):
        deeplinks.station_payload("../x")
