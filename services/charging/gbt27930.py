"""The GB/T 27930-2015 decoding table, kept as data: what each parameter group carries, where.

Sources:
- GB/T 27930-2015, "Communication protocols between off-board conductive charger and battery
  management system for electric vehicle" (电动汽车非车载传导式充电机与电池管理系统之间的通信
  协议), §10 (message formats: CHM ... CEM, byte positions, resolutions and offsets) and
  Appendix A/B (the charging stages and the timeouts: BCL and CCS every 50 ms with a 1 s
  timeout, BCS and BSM every 250 ms with a 5 s timeout).
- SAE J1939-21 §5.10 (transport protocol TP.CM / TP.DT: RTS, CTS, EndOfMsgAck, BAM), which
  GB/T 27930 adopts for the messages longer than 8 bytes (BRM, BCP, BCS, BMV, BMT, BSP).

Identifiers are 29-bit, J1939-style: priority (3 bits), PGN (PDU1: PF in bits 16-23, PS in
bits 8-15 is the destination) and source address. The BMS is 0xF4, the charger 0x56, so the
BMS's BCL is 0x181056F4 and the charger's CCS 0x1812F456.

Each field is (name, start bit, bit length, resolution, offset, unit) over the message's bytes
read as one little-endian integer (GB/T 27930 numbers bytes from 1 and bits from 1 in each
byte: "byte 2, bits 1-2" is start bit 8 here). Charging current is encoded with an offset of
-400 A, so a charging (discharging-the-charger) current is negative: the analysis reports amps
as a positive number.
"""

from __future__ import annotations

from typing import NamedTuple

BMS, CHARGER = 0xF4, 0x56
TP_CM, TP_DT = 0xEC00, 0xEB00  # J1939-21 transport protocol PGNs
TP_RTS, TP_CTS, TP_ACK, TP_ABORT, TP_BAM = 0x10, 0x11, 0x13, 0xFF, 0x20


class Field(NamedTuple):
    name: str
    start: int  # bit, over the little-endian payload
    bits: int
    scale: float = 1.0
    offset: float = 0.0
    unit: str = ""


class MessageSpec(NamedTuple):
    pgn: int
    name: str
    sender: int  # BMS or CHARGER
    priority: int
    phase: str | None  # charging stage the message belongs to (None: any stage)
    fields: tuple[Field, ...]


def volts(name: str, start: int) -> Field:
    return Field(name, start, 16, 0.1, 0.0, "V")


def amps(name: str, start: int) -> Field:
    return Field(name, start, 16, 0.1, -400.0, "A")


def bits2(name: str, start: int) -> Field:
    return Field(name, start, 2)


MESSAGES: tuple[MessageSpec, ...] = (
    # handshake
    MessageSpec(0x2600, "CHM", CHARGER, 6, "handshake", (Field("protocol_version", 0, 24),)),
    MessageSpec(0x2700, "BHM", BMS, 6, "handshake", (volts("max_charge_voltage", 0),)),
    # recognition
    MessageSpec(0x0100, "CRM", CHARGER, 6, "recognition", (
        Field("recognition", 0, 8), Field("charger_number", 8, 32),
        Field("region_code", 40, 24))),
    MessageSpec(0x0200, "BRM", BMS, 7, "recognition", (
        Field("protocol_version", 0, 24), Field("battery_type", 24, 8),
        Field("rated_capacity_ah", 32, 16, 0.1, 0.0, "Ah"), volts("rated_voltage", 48))),
    # parameters
    MessageSpec(0x0600, "BCP", BMS, 7, "parameters", (
        Field("max_cell_voltage", 0, 16, 0.01, 0.0, "V"), amps("max_charge_current", 16),
        Field("nominal_energy_kwh", 32, 16, 0.1, 0.0, "kWh"), volts("max_charge_voltage", 48),
        Field("max_temperature_c", 64, 8, 1.0, -50.0, "°C"),
        Field("soc", 72, 16, 0.1, 0.0, "%"), volts("battery_voltage", 88))),
    MessageSpec(0x0700, "CTS", CHARGER, 6, "parameters", ()),
    MessageSpec(0x0800, "CML", CHARGER, 6, "parameters", (
        volts("max_output_voltage", 0), volts("min_output_voltage", 16),
        amps("max_output_current", 32), amps("min_output_current", 48))),
    MessageSpec(0x0900, "BRO", BMS, 4, "parameters", (Field("ready", 0, 8),)),
    MessageSpec(0x0A00, "CRO", CHARGER, 4, "parameters", (Field("ready", 0, 8),)),
    # charging
    MessageSpec(0x1000, "BCL", BMS, 6, "charging", (
        volts("voltage_demand", 0), amps("current_demand", 16), Field("mode", 32, 8))),
    MessageSpec(0x1100, "BCS", BMS, 7, "charging", (
        volts("measured_voltage", 0), amps("measured_current", 16),
        Field("max_cell_voltage", 32, 12, 0.01, 0.0, "V"), Field("soc", 48, 8, 1.0, 0.0, "%"),
        Field("remaining_minutes", 56, 16, 1.0, 0.0, "min"))),
    MessageSpec(0x1200, "CCS", CHARGER, 6, "charging", (
        volts("output_voltage", 0), amps("output_current", 16),
        Field("charging_minutes", 32, 16, 1.0, 0.0, "min"), bits2("charging_allowed", 48))),
    MessageSpec(0x1300, "BSM", BMS, 6, "charging", (
        Field("max_temperature_c", 8, 8, 1.0, -50.0, "°C"),
        Field("min_temperature_c", 24, 8, 1.0, -50.0, "°C"),
        bits2("cell_voltage_state", 40), bits2("soc_state", 42), bits2("over_current", 44),
        bits2("over_temperature", 46), bits2("insulation", 48), bits2("connector", 50),
        bits2("charging_allowed", 52))),
    MessageSpec(0x1500, "BMV", BMS, 7, "charging", ()),
    MessageSpec(0x1600, "BMT", BMS, 7, "charging", ()),
    MessageSpec(0x1700, "BSP", BMS, 7, "charging", ()),
    # stop
    MessageSpec(0x1900, "BST", BMS, 4, "stopping", ()),
    MessageSpec(0x1A00, "CST", CHARGER, 4, "stopping", ()),
    # statistics
    MessageSpec(0x1C00, "BSD", BMS, 6, "statistics", (
        Field("soc", 0, 8, 1.0, 0.0, "%"), Field("min_cell_voltage", 8, 16, 0.01, 0.0, "V"),
        Field("max_cell_voltage", 24, 16, 0.01, 0.0, "V"),
        Field("min_temperature_c", 40, 8, 1.0, -50.0, "°C"),
        Field("max_temperature_c", 48, 8, 1.0, -50.0, "°C"))),
    MessageSpec(0x1D00, "CSD", CHARGER, 6, "statistics", (
        Field("charging_minutes", 0, 16, 1.0, 0.0, "min"),
        Field("output_energy_kwh", 16, 16, 0.1, 0.0, "kWh"),
        Field("charger_number", 32, 32))),
    # errors
    MessageSpec(0x1E00, "BEM", BMS, 2, None, ()),
    MessageSpec(0x1F00, "CEM", CHARGER, 2, None, ()),
)

BY_PGN = {spec.pgn: spec for spec in MESSAGES}
BY_NAME = {spec.name: spec for spec in MESSAGES}
PHASES = ("handshake", "recognition", "parameters", "charging", "stopping", "statistics")
RECOGNISED = READY = 0xAA

# Cyclic messages of the charging stage: period and the timeout after which the receiver
# gives up (GB/T 27930-2015 Appendix B), in seconds.
CYCLIC = {"BCL": (0.05, 1.0), "CCS": (0.05, 1.0), "BCS": (0.25, 5.0), "BSM": (0.25, 5.0)}


class Reason(NamedTuple):
    code: str
    start: int  # 2-bit field: 01 = set
    normal: bool  # an ordinary end of charging, not a fault
    zh: str
    en: str


# BST (BMS) and CST (charger): byte 1 is why charging stopped, bytes 2-3 faults, byte 4 errors.
BST_REASONS = (
    Reason("SOC_TARGET_REACHED", 0, True, "达到所需SOC目标值", "the required SOC was reached"),
    Reason("TOTAL_VOLTAGE_REACHED", 2, True, "达到总电压设定值",
           "the total voltage setpoint was reached"),
    Reason("CELL_VOLTAGE_REACHED", 4, True, "达到单体电压设定值",
           "the cell voltage setpoint was reached"),
    Reason("CHARGER_STOPPED", 6, True, "充电机主动中止", "the charger stopped charging"),
    Reason("INSULATION_FAULT", 8, False, "绝缘故障", "insulation fault"),
    Reason("OUTPUT_CONNECTOR_OVER_TEMPERATURE", 10, False, "输出连接器过温故障",
           "output connector over-temperature"),
    Reason("BMS_COMPONENT_OVER_TEMPERATURE", 12, False, "BMS元件、输出连接器过温",
           "BMS component or output connector over-temperature"),
    Reason("CHARGING_CONNECTOR_FAULT", 14, False, "充电连接器故障", "charging connector fault"),
    Reason("BATTERY_OVER_TEMPERATURE", 16, False, "电池组温度过高故障",
           "battery pack over-temperature"),
    Reason("HIGH_VOLTAGE_RELAY_FAULT", 18, False, "高压继电器故障", "high-voltage relay fault"),
    Reason("DETECTION_POINT_2_VOLTAGE_FAULT", 20, False, "检测点2电压检测故障",
           "detection point 2 voltage fault"),
    Reason("OTHER_FAULT", 22, False, "其他故障", "other fault"),
    Reason("OVER_CURRENT", 24, False, "电流过大", "current too high"),
    Reason("VOLTAGE_ABNORMAL", 26, False, "电压异常", "abnormal voltage"),
)
CST_REASONS = (
    Reason("CHARGER_CONDITION_REACHED", 0, True, "达到充电机设定的条件中止",
           "the charger's set condition was reached"),
    Reason("MANUAL_STOP", 2, True, "人工中止", "stopped by hand"),
    Reason("CHARGER_FAULT", 4, False, "故障中止", "the charger stopped on a fault"),
    Reason("BMS_STOPPED", 6, True, "BMS主动中止", "the BMS stopped charging"),
    Reason("CHARGER_OVER_TEMPERATURE", 8, False, "充电机过温故障", "charger over-temperature"),
    Reason("CHARGING_CONNECTOR_FAULT", 10, False, "充电连接器故障", "charging connector fault"),
    Reason("CHARGER_INTERNAL_OVER_TEMPERATURE", 12, False, "充电机内部过温故障",
           "charger internal over-temperature"),
    Reason("POWER_UNAVAILABLE", 14, False, "所需电量不能传送", "the requested power cannot be "
                                                             "delivered"),
    Reason("EMERGENCY_STOP", 16, False, "充电机急停故障", "emergency stop"),
    Reason("OTHER_FAULT", 18, False, "其他故障", "other fault"),
    Reason("CURRENT_MISMATCH", 24, False, "电流不匹配", "current mismatch"),
    Reason("VOLTAGE_ABNORMAL", 26, False, "电压异常", "abnormal voltage"),
)
REACTIONS = {"CHARGER_STOPPED", "BMS_STOPPED"}  # "the other side stopped": not a cause

# BEM (sent by the BMS: it timed out waiting for the charger's message) and CEM (the charger
# timed out waiting for the BMS's).
BEM_TIMEOUTS = (("CRM_00", 0), ("CRM_AA", 2), ("CML", 8), ("CRO", 10), ("CCS", 16),
                ("CST", 18), ("CSD", 24))
CEM_TIMEOUTS = (("BRM", 0), ("BCP", 8), ("BRO", 10), ("BCS", 16), ("BCL", 18), ("BST", 20),
                ("BSD", 24))


def reasons_set(payload: bytes, reasons: tuple[Reason, ...]) -> list[Reason]:
    value = int.from_bytes(payload[:4], "little")
    return [r for r in reasons if (value >> r.start) & 0b11 == 0b01]


def timeouts_set(payload: bytes, table: tuple[tuple[str, int], ...]) -> list[str]:
    value = int.from_bytes(payload[:4], "little")
    return [name for name, start in table if (value >> start) & 0b11 == 0b01]


def can_id(name: str) -> int:
    """The 29-bit identifier `name` is sent with, from its sender to the other side."""
    spec = BY_NAME[name]
    destination = CHARGER if spec.sender == BMS else BMS
    return (spec.priority << 26) | (spec.pgn << 8) | (destination << 8) | spec.sender


def decode_fields(spec: MessageSpec, payload: bytes) -> dict[str, float]:
    value = int.from_bytes(payload, "little")
    size = len(payload) * 8
    out: dict[str, float] = {}
    for field in spec.fields:
        if field.start + field.bits <= size:
            raw = (value >> field.start) & ((1 << field.bits) - 1)
            out[field.name] = round(raw * field.scale + field.offset, 3)
    return out
