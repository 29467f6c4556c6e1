"""What a charging session's analysis reports as `analysis_results` rows, in Chinese and English.

One `session_summary`; a `fault` per abnormal stop reason, BEM/CEM timeout, cyclic message gone
silent while charging, output above the request, handshake never completed (or no session at
all); an `anomaly` per statistical outlier kind (current ripple, voltage dips). Evidence (frame
timestamps on the log's clock, in seconds) goes to `metadata.evidence`; `metadata.code` names the
finding for filtering and for citing troubleshooting passages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.charging.gbt27930 import CYCLIC
from services.charging.session import MAX_EVIDENCE, Session

MESSAGE_NAMES = {  # GB/T 27930 names of the messages that can time out or go silent
    "CRM_00": ("充电机辨识报文(0x00)", "charger recognition (0x00)"),
    "CRM_AA": ("充电机辨识报文(0xAA)", "charger recognition (0xAA)"),
    "CML": ("充电机最大输出能力报文", "charger maximum output (CML)"),
    "CRO": ("充电机输出准备就绪报文", "charger ready (CRO)"),
    "CCS": ("充电机充电状态报文", "charger status (CCS)"),
    "CST": ("充电机中止充电报文", "charger stop (CST)"),
    "CSD": ("充电机统计数据报文", "charger statistics (CSD)"),
    "BRM": ("BMS和车辆辨识报文", "BMS recognition (BRM)"),
    "BCP": ("动力蓄电池充电参数报文", "battery charging parameters (BCP)"),
    "BRO": ("电池充电准备就绪报文", "BMS ready (BRO)"),
    "BCS": ("电池充电总状态报文", "battery charging status (BCS)"),
    "BCL": ("电池充电需求报文", "battery charging demand (BCL)"),
    "BST": ("BMS中止充电报文", "BMS stop (BST)"),
    "BSD": ("BMS统计数据报文", "BMS statistics (BSD)"),
    "BSM": ("动力蓄电池状态信息报文", "battery status (BSM)"),
}


@dataclass
class Finding:
    result_type: str  # session_summary | fault | anomaly
    code: str
    title_zh: str
    title_en: str
    text_zh: str
    text_en: str
    confidence: float
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"{self.title_zh} / {self.title_en}"[:200]

    @property
    def content(self) -> str:
        return f"{self.text_zh}\n\n{self.text_en}"

    def metadata(self) -> dict[str, Any]:
        return {"code": self.code, "titleZh": self.title_zh, "titleEn": self.title_en,
                "contentZh": self.text_zh, "contentEn": self.text_en, "evidence": self.evidence}


def no_session(frames: int, gbt_frames: int) -> Finding:
    return Finding(
        "fault", "NO_SESSION", "未发现充电会话", "No charging session found",
        f"日志含 {frames} 帧（其中 GB/T 27930 帧 {gbt_frames} 帧），但没有握手或辨识报文，"
        "未找到充电会话。",
        f"The log holds {frames} frames ({gbt_frames} of them GB/T 27930), but no handshake or "
        "recognition message: no charging session was found.",
        0.9, {"frames": frames, "gbtFrames": gbt_frames})


def findings_of(session: Session) -> list[Finding]:
    found = [_summary(session)]
    found += _stop_faults(session)
    found += _timeouts(session)
    found += _gaps(session)
    found += _over_request(session)
    if not session.handshake_completed:
        found.append(_handshake(session))
    found += _anomalies(session)
    return found


def _summary(session: Session) -> Finding:
    s = session.summary()
    reasons = ", ".join(s["stopReasons"]) or "-"
    return Finding(
        "session_summary", "SESSION_SUMMARY", "充电会话概要", "Charging session summary",
        f"时长 {s['durationSeconds']} 秒；峰值电流 {s['peakCurrentA']} A，峰值电压 "
        f"{s['peakVoltageV']} V；SOC {s['socStart']}% → {s['socEnd']}%；能量 {s['energyKwh']} kWh；"
        f"由 {s['stopInitiator'] or '-'} 中止（{reasons}）。",
        f"{s['durationSeconds']} s; peak {s['peakCurrentA']} A and {s['peakVoltageV']} V; SOC "
        f"{s['socStart']}% → {s['socEnd']}%; {s['energyKwh']} kWh; stopped by "
        f"{s['stopInitiator'] or '-'} ({reasons}).",
        1.0, {"sessionStart": s["sessionStart"], "sessionEnd": s["sessionEnd"]})


def _stop_faults(session: Session) -> list[Finding]:
    out = []
    for stop in session.stops:
        for reason in stop.reasons:
            if not reason.normal:
                message = "BST" if stop.initiator == "BMS" else "CST"
                out.append(Finding(
                    "fault", reason.code, f"充电中止：{reason.zh}", f"Stopped: {reason.en}",
                    f"{stop.initiator} 在 {message} 报文中报告：{reason.zh}。",
                    f"The {stop.initiator} reported in its {message}: {reason.en}.",
                    0.95, {"message": message, "timestamps": [stop.timestamp]}))
    return out


def _timeouts(session: Session) -> list[Finding]:
    out = []
    for key, stamps in session.timeouts.items():
        sender, message = key.split(":")
        zh, en = MESSAGE_NAMES.get(message, (message, message))
        receiver = "BMS" if sender == "BEM" else "充电机"
        receiver_en = "BMS" if sender == "BEM" else "charger"
        out.append(Finding(
            "fault", f"{sender}_TIMEOUT_{message}", f"{sender} 超时：{zh}",
            f"{sender} timeout: {en}",
            f"{receiver}接收{zh}超时（{sender} 报文 {len(stamps)} 次）。",
            f"The {receiver_en} timed out waiting for {en} ({len(stamps)} {sender} frames).",
            0.9, {"message": sender, "timedOut": message, "timestamps": stamps[:MAX_EVIDENCE]}))
    return out


def _gaps(session: Session) -> list[Finding]:
    out = []
    for message, gaps in session.gaps.items():
        period, timeout = CYCLIC[message]
        zh, en = MESSAGE_NAMES[message]
        longest = max(end - start for start, end in gaps)
        out.append(Finding(
            "fault", "MISSING_CYCLIC_MESSAGE", f"周期报文缺失：{message}",
            f"Missing cyclic message: {message}",
            f"充电阶段{zh}（周期 {period * 1000:g} ms）中断 {len(gaps)} 次，超过 {timeout:g} 秒，"
            f"最长 {longest:.2f} 秒。",
            f"While charging, {en} (every {period * 1000:g} ms) went silent {len(gaps)} time(s) "
            f"for more than {timeout:g} s, the longest {longest:.2f} s.",
            0.9, {"message": message, "gaps": [{"start": a, "end": b}
                                              for a, b in gaps[:MAX_EVIDENCE]]}))
    return out


def _over_request(session: Session) -> list[Finding]:
    out = []
    for check, unit, zh in ((session.over_current, "A", "电流"),
                            (session.over_voltage, "V", "电压")):
        if not check.episodes:
            continue
        worst = max(check.episodes, key=lambda e: e.peak - e.limit)
        out.append(Finding(
            "fault", f"OUTPUT_{check.quantity.upper()}_ABOVE_REQUEST",
            f"输出{zh}超过需求", f"Output {check.quantity} above the request",
            f"充电机输出{zh}持续高于 BMS 需求 {len(check.episodes)} 次，"
            f"最高 {worst.peak:.1f} {unit}（允许 {worst.limit:.1f} {unit}）。",
            f"The charger's output {check.quantity} stayed above the BMS's request "
            f"{len(check.episodes)} time(s), peaking at {worst.peak:.1f} {unit} (allowed "
            f"{worst.limit:.1f} {unit}).",
            0.85, {"episodes": [e.as_evidence() for e in check.episodes[:MAX_EVIDENCE]]}))
    return out


def _handshake(session: Session) -> Finding:
    reached = [p["name"] for p in session.summary()["phases"]]
    missing = "CRM(0xAA)" if not session.recognised else "CRO(0xAA)"
    return Finding(
        "fault", "HANDSHAKE_INCOMPLETE", "握手未完成", "Handshake never completed",
        f"会话停在 {reached[-1] if reached else '-'} 阶段，未收到 {missing}，未进入充电。",
        f"The session stopped in its {reached[-1] if reached else '-'} stage: no {missing} was "
        "seen, so charging never began.",
        0.9, {"phasesReached": reached, "missing": missing,
              "timestamps": [session.started, session.last]})


def _anomalies(session: Session) -> list[Finding]:
    out = []
    windows = session.ripple.outliers()
    if windows:
        worst = max(w.ripple for w in windows)
        out.append(Finding(
            "anomaly", "CURRENT_RIPPLE", "电流纹波异常", "Current ripple",
            f"{len(windows)} 个 2 秒窗口内输出电流波动异常，最大变异系数 {worst:.1%}。",
            f"The output current fluctuated abnormally in {len(windows)} 2 s window(s), with a "
            f"coefficient of variation up to {worst:.1%}.",
            round(min(0.99, 0.5 + worst * 2), 3),
            {"windows": [w.as_evidence() for w in windows[:MAX_EVIDENCE]]}))
    dips = session.dips.dips
    if dips:
        deepest = max(d.depth for d in dips)
        out.append(Finding(
            "anomaly", "VOLTAGE_DIP", "电压跌落", "Voltage dips",
            f"输出电压跌落 {len(dips)} 次，最深 {deepest:.1%}。",
            f"The output voltage dipped {len(dips)} time(s), at worst by {deepest:.1%}.",
            round(min(0.99, 0.5 + deepest * 2), 3),
            {"dips": [d.as_evidence() for d in dips[:MAX_EVIDENCE]]}))
    return out
