"""The analysis of scripted GB/T 27930 sessions, logged by python-can's writers (BLF, ASC) and
as CSV: the figures, the stop, the findings; and files that are not charging logs."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from services.charging.analyse import Outcome, analyse
from services.charging.frames import LogError
from tests.analysis.gbt_simulator import WRITERS, Script, session, with_noise, write_blf

FORMATS = ("blf", "asc", "csv")


def run(tmp_path: Path, fmt: str, script: Script, noise: int = 0) -> Outcome:
    path = WRITERS[fmt](tmp_path / f"log.{fmt}", with_noise(session(script), noise))
    return analyse(path, fmt)


def codes(outcome: Outcome, kind: str) -> list[str]:
    return [f.code for f in outcome.findings if f.result_type == kind]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_session_that_ends_at_its_soc_target(tmp_path: Path, fmt: str) -> None:
    # given: 600 s at 100 A while the voltage rises from 380 to 400 V, SOC 30 -> 80 %, with
    # other traffic on the bus
    outcome = run(tmp_path, fmt, Script(), noise=7)

    # then: 100 A x 390 V (the mean) x 600 s = 6.5 kWh; from CHM at 0 s to CSD at 602.6 s
    data = outcome.result_data
    assert {k: data[k] for k in ("durationSeconds", "peakCurrentA", "peakVoltageV", "socStart",
                                 "socEnd", "energyKwh", "stopInitiator", "stopReasons")} == {
        "durationSeconds": 602.6, "peakCurrentA": 100.0, "peakVoltageV": 400.0,
        "socStart": 30.0, "socEnd": 80.0, "energyKwh": 6.5, "stopInitiator": "BMS",
        "stopReasons": ["SOC_TARGET_REACHED"]}
    assert data["chargerReportedEnergyKwh"] == 6.5
    phases = {p["name"]: round(p["end"] - p["start"], 3) for p in data["phases"]}
    assert list(phases) == ["handshake", "recognition", "parameters", "charging", "stopping",
                            "statistics"]
    assert phases["charging"] == 600.01  # CRO at 2 s to the first BST
    assert data["handshakeCompleted"] is True
    assert data["gbtFrames"] < data["framesRead"]
    assert [(f.result_type, f.code) for f in outcome.findings] == [
        ("session_summary", "SESSION_SUMMARY")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_stop_for_an_insulation_fault(tmp_path: Path, fmt: str) -> None:
    outcome = run(tmp_path, fmt, Script(stop="insulation", charge_seconds=300))

    data = outcome.result_data
    assert (data["stopInitiator"], data["stopReasons"]) == ("BMS", ["INSULATION_FAULT"])
    assert (data["durationSeconds"], data["energyKwh"], data["socEnd"]) == (302.6, 3.25, 55.0)
    [fault] = [f for f in outcome.findings if f.result_type == "fault"]
    assert (fault.code, fault.title) == ("INSULATION_FAULT", "充电中止：绝缘故障 / Stopped: "
                                                             "insulation fault")
    assert "绝缘故障" in fault.content and "insulation fault" in fault.content
    assert fault.confidence == 0.95
    start = data["sessionStart"]
    assert [round(t - start, 3) for t in fault.evidence["timestamps"]] == [302.01]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_missing_bcl_while_charging(tmp_path: Path, fmt: str) -> None:
    # given: the BMS sends no BCL from 200 s to 202.5 s into charging (it should every 50 ms),
    # and the charger reports the timeout in a CEM at 201 s
    outcome = run(tmp_path, fmt, Script(bcl_gap=(200.0, 202.5), cem_bcl_at=201.0))

    assert codes(outcome, "fault") == ["CEM_TIMEOUT_BCL", "MISSING_CYCLIC_MESSAGE"]
    gap, cem = (next(f for f in outcome.findings if f.code == code)
                for code in ("MISSING_CYCLIC_MESSAGE", "CEM_TIMEOUT_BCL"))
    start = outcome.result_data["sessionStart"]
    assert gap.evidence["message"] == "BCL"
    assert [(round(g["start"] - start, 3), round(g["end"] - start, 3))
            for g in gap.evidence["gaps"]] == [(201.95, 204.5)]  # charging began at 2 s
    assert [round(t - start, 3) for t in cem.evidence["timestamps"]] == [203.0]
    assert cem.title == "CEM 超时：电池充电需求报文 / CEM timeout: battery charging demand (BCL)"
    assert outcome.result_data["stopReasons"] == ["SOC_TARGET_REACHED"]


def test_output_above_the_request_ripple_and_a_voltage_dip(tmp_path: Path) -> None:
    # given: 10 % over the requested current for 3 s, ±20 % ripple for 10 s, a 10 % dip for 1 s
    outcome = run(tmp_path, "blf", Script(over_current=(100, 103), ripple=(300, 310),
                                          voltage_dip=(200, 201)))

    assert codes(outcome, "fault") == ["OUTPUT_CURRENT_ABOVE_REQUEST"]
    assert codes(outcome, "anomaly") == ["CURRENT_RIPPLE", "VOLTAGE_DIP"]
    start = outcome.result_data["sessionStart"]
    by_code = {f.code: f for f in outcome.findings}
    [episode] = by_code["OUTPUT_CURRENT_ABOVE_REQUEST"].evidence["episodes"]
    assert (episode["peak"], episode["limit"]) == (110.0, 101.0)
    assert round(episode["start"] - start, 3) == 102.005  # the first CCS over it
    [dip] = by_code["VOLTAGE_DIP"].evidence["dips"]
    assert round(dip["start"] - start, 3) == 202.005
    assert dip["depth"] == pytest.approx(0.1, abs=0.01)
    windows = by_code["CURRENT_RIPPLE"].evidence["windows"]
    assert windows and all(w["end"] - start > 302 and w["start"] - start < 312 for w in windows)
    assert all(0 < f.confidence < 1 for f in outcome.findings if f.result_type == "anomaly")


def test_a_handshake_that_never_completes(tmp_path: Path) -> None:
    outcome = run(tmp_path, "blf", Script(handshake_only=True))

    assert codes(outcome, "fault") == ["HANDSHAKE_INCOMPLETE"]
    assert outcome.result_data["handshakeCompleted"] is False
    assert outcome.findings[-1].evidence["missing"] == "CRM(0xAA)"


def test_gbt_frames_without_a_session(tmp_path: Path) -> None:
    # given: only the charging stage's cyclic frames, no handshake
    frames = [f for f in session(Script(charge_seconds=5)) if f[1] & 0xFF0000 == 0x120000]
    outcome = analyse(write_blf(tmp_path / "log.blf", iter(frames)), "blf")

    assert outcome.result_data["sessionFound"] is False
    assert [(f.result_type, f.code) for f in outcome.findings] == [("fault", "NO_SESSION")]


def test_a_bus_log_without_gbt_frames_is_not_a_charging_log(tmp_path: Path) -> None:
    frames = [(1.0 + n * 0.01, 0x0CF00400, bytes(8)) for n in range(100)]
    with pytest.raises(LogError, match="not a GB/T 27930 charging log: none of its 100 frames"):
        analyse(write_blf(tmp_path / "log.blf", iter(frames)), "blf")


def test_a_truncated_blf(tmp_path: Path) -> None:
    path = write_blf(tmp_path / "log.blf", session(Script(charge_seconds=60)))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])

    with pytest.raises(LogError, match="the BLF file is truncated: its header says"):
        analyse(path, "blf")


def test_a_blf_cut_inside_its_header_and_other_files(tmp_path: Path) -> None:
    (tmp_path / "short.blf").write_bytes(b"LOGG" + struct.pack("<I", 144))
    (tmp_path / "text.blf").write_bytes(b"timestamp,can_id,data\n" * 20)
    (tmp_path / "bad.csv").write_text("time,id\n1,2\n")
    (tmp_path / "worse.csv").write_text("timestamp,can_id,data\n0.1,zz,00\n")
    (tmp_path / "empty.asc").write_text("")

    for name, fmt, message in (("short.blf", "blf", "not a BLF file"),
                               ("text.blf", "blf", "not a BLF file"),
                               ("bad.csv", "csv", "the header must name timestamp, can_id"),
                               ("worse.csv", "csv", "CSV line 2: expected a timestamp"),
                               ("empty.asc", "asc", "no CAN frames in this ASC file")):
        with pytest.raises(LogError, match=message):
            analyse(tmp_path / name, fmt)
