"""Headquarters geography: provinces, a few major cities, source regions, distances.

Coordinates are public facts (city centres, rounded to 0.01°) of the province
capitals and of major industrial cities; they are only used for a coarse
great-circle distance to 运城 (Yuncheng).  The *source regions* are the three
regions the city's investment plan targets: 京津冀 (Beijing-Tianjin-Hebei),
长三角 (the Yangtze River Delta: Shanghai, Jiangsu, Zhejiang, Anhui) and
粤港澳大湾区 (Greater Bay Area: Hong Kong, Macao and nine Guangdong cities).

>>> normalize_province("浙江省")
'浙江'
>>> normalize_province("Guangdong")
'广东'
>>> source_region("广东", "深圳市")
'gba'
>>> source_region("广东", "汕头") is None
True
>>> source_region("江苏", None)
'yrd'
>>> round(distance_km("山西", "运城"))
0
>>> 900 < distance_km("上海", None) < 1100
True
"""

from __future__ import annotations

import math
import unicodedata

__all__ = [
    "YUNCHENG",
    "PROVINCES",
    "CITIES",
    "SOURCE_REGIONS",
    "SOURCE_REGION_LABELS",
    "normalize_province",
    "normalize_city",
    "province_of_city",
    "city_warning",
    "source_region",
    "coordinates",
    "distance_km",
    "haversine_km",
]

#: 运城市 city centre (lat, lon).
YUNCHENG = (35.03, 111.00)

#: province (short Chinese name) -> (English name, capital, capital lat, capital lon)
PROVINCES: dict[str, tuple[str, str, float, float]] = {
    "北京": ("Beijing", "北京", 39.90, 116.41),
    "天津": ("Tianjin", "天津", 39.13, 117.20),
    "河北": ("Hebei", "石家庄", 38.04, 114.51),
    "山西": ("Shanxi", "太原", 37.87, 112.55),
    "内蒙古": ("Inner Mongolia", "呼和浩特", 40.84, 111.75),
    "辽宁": ("Liaoning", "沈阳", 41.81, 123.43),
    "吉林": ("Jilin", "长春", 43.82, 125.32),
    "黑龙江": ("Heilongjiang", "哈尔滨", 45.80, 126.53),
    "上海": ("Shanghai", "上海", 31.23, 121.47),
    "江苏": ("Jiangsu", "南京", 32.06, 118.80),
    "浙江": ("Zhejiang", "杭州", 30.27, 120.16),
    "安徽": ("Anhui", "合肥", 31.82, 117.23),
    "福建": ("Fujian", "福州", 26.07, 119.30),
    "江西": ("Jiangxi", "南昌", 28.68, 115.86),
    "山东": ("Shandong", "济南", 36.65, 117.12),
    "河南": ("Henan", "郑州", 34.75, 113.63),
    "湖北": ("Hubei", "武汉", 30.59, 114.31),
    "湖南": ("Hunan", "长沙", 28.23, 112.94),
    "广东": ("Guangdong", "广州", 23.13, 113.26),
    "广西": ("Guangxi", "南宁", 22.82, 108.37),
    "海南": ("Hainan", "海口", 20.04, 110.34),
    "重庆": ("Chongqing", "重庆", 29.56, 106.55),
    "四川": ("Sichuan", "成都", 30.57, 104.07),
    "贵州": ("Guizhou", "贵阳", 26.65, 106.63),
    "云南": ("Yunnan", "昆明", 25.04, 102.71),
    "西藏": ("Tibet", "拉萨", 29.65, 91.17),
    "陕西": ("Shaanxi", "西安", 34.34, 108.94),
    "甘肃": ("Gansu", "兰州", 36.06, 103.83),
    "青海": ("Qinghai", "西宁", 36.62, 101.78),
    "宁夏": ("Ningxia", "银川", 38.49, 106.23),
    "新疆": ("Xinjiang", "乌鲁木齐", 43.83, 87.62),
    "香港": ("Hong Kong", "香港", 22.32, 114.17),
    "澳门": ("Macao", "澳门", 22.20, 113.54),
    "台湾": ("Taiwan", "台北", 25.03, 121.57),
}

#: major city (short Chinese name) -> (province, lat, lon); province capitals included.
CITIES: dict[str, tuple[str, float, float]] = {
    **{cap: (prov, lat, lon) for prov, (_en, cap, lat, lon) in PROVINCES.items()},
    # 粤港澳大湾区 (Guangdong part)
    "深圳": ("广东", 22.54, 114.06),
    "珠海": ("广东", 22.27, 113.58),
    "佛山": ("广东", 23.02, 113.12),
    "东莞": ("广东", 23.02, 113.75),
    "惠州": ("广东", 23.11, 114.42),
    "中山": ("广东", 22.52, 113.39),
    "江门": ("广东", 22.58, 113.08),
    "肇庆": ("广东", 23.05, 112.47),
    "汕头": ("广东", 23.35, 116.68),
    # 长三角
    "苏州": ("江苏", 31.30, 120.59),
    "无锡": ("江苏", 31.49, 120.31),
    "常州": ("江苏", 31.81, 119.97),
    "南通": ("江苏", 31.98, 120.89),
    "扬州": ("江苏", 32.39, 119.41),
    "徐州": ("江苏", 34.21, 117.28),
    "盐城": ("江苏", 33.35, 120.16),
    "宁波": ("浙江", 29.87, 121.54),
    "温州": ("浙江", 28.00, 120.70),
    "嘉兴": ("浙江", 30.75, 120.76),
    "绍兴": ("浙江", 30.00, 120.58),
    "台州": ("浙江", 28.66, 121.42),
    "金华": ("浙江", 29.08, 119.65),
    "湖州": ("浙江", 30.89, 120.09),
    "芜湖": ("安徽", 31.35, 118.43),
    # 京津冀
    "唐山": ("河北", 39.63, 118.18),
    "保定": ("河北", 38.87, 115.46),
    "廊坊": ("河北", 39.54, 116.68),
    # others
    "青岛": ("山东", 36.07, 120.38),
    "烟台": ("山东", 37.46, 121.45),
    "潍坊": ("山东", 36.71, 119.16),
    "厦门": ("福建", 24.48, 118.09),
    "泉州": ("福建", 24.87, 118.68),
    "宁德": ("福建", 26.67, 119.55),
    "大连": ("辽宁", 38.91, 121.61),
    "洛阳": ("河南", 34.62, 112.45),
    "三门峡": ("河南", 34.77, 111.20),
    "宝鸡": ("陕西", 34.36, 107.24),
    "榆林": ("陕西", 38.29, 109.73),
    "宜宾": ("四川", 28.77, 104.64),
    "绵阳": ("四川", 31.47, 104.68),
    "柳州": ("广西", 24.33, 109.41),
    "宜春": ("江西", 27.81, 114.42),
    "赣州": ("江西", 25.83, 114.93),
    "襄阳": ("湖北", 32.01, 112.12),
    "十堰": ("湖北", 32.63, 110.80),
    "株洲": ("湖南", 27.83, 113.13),
    "包头": ("内蒙古", 40.66, 109.84),
    "鄂尔多斯": ("内蒙古", 39.61, 109.78),
    "大同": ("山西", 40.08, 113.30),
    "长治": ("山西", 36.20, 113.12),
    "晋城": ("山西", 35.49, 112.85),
    "临汾": ("山西", 36.09, 111.52),
    "运城": ("山西", YUNCHENG[0], YUNCHENG[1]),
}

#: source region code -> (provinces wholly inside, cities inside)
SOURCE_REGIONS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "jjj": (frozenset({"北京", "天津", "河北"}), frozenset()),
    "yrd": (frozenset({"上海", "江苏", "浙江", "安徽"}), frozenset()),
    "gba": (
        frozenset({"香港", "澳门"}),
        frozenset({"广州", "深圳", "珠海", "佛山", "东莞", "惠州", "中山", "江门", "肇庆"}),
    ),
}
SOURCE_REGION_LABELS: dict[str, tuple[str, str]] = {
    "jjj": ("京津冀", "Beijing-Tianjin-Hebei"),
    "yrd": ("长三角", "the Yangtze River Delta"),
    "gba": ("粤港澳大湾区", "the Greater Bay Area"),
}

_PROVINCE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")
_CITY_SUFFIXES = ("特别行政区", "市", "地区", "盟", "州")
_EN_TO_ZH = {en.lower(): zh for zh, (en, *_rest) in PROVINCES.items()}
_EN_TO_ZH.update({"shaanxi": "陕西", "inner mongolia": "内蒙古", "hongkong": "香港", "macau": "澳门"})


def _clean(s: str | None) -> str:
    return unicodedata.normalize("NFKC", s or "").strip()


def normalize_province(value: str | None) -> str | None:
    """Short Chinese province name for a Chinese or English spelling; None if unknown or empty."""
    v = _clean(value)
    if not v:
        return None
    if v in PROVINCES:
        return v
    for suf in _PROVINCE_SUFFIXES:
        if v.endswith(suf) and v[: -len(suf)] in PROVINCES:
            return v[: -len(suf)]
    low = v.lower().removesuffix(" province").strip()
    return _EN_TO_ZH.get(low)


def normalize_city(value: str | None) -> str | None:
    """City name without the 市 suffix (NFKC, stripped); None if empty.

    >>> normalize_city("深圳市")
    '深圳'
    """
    v = _clean(value)
    if not v:
        return None
    for suf in _CITY_SUFFIXES:
        if v.endswith(suf) and len(v) > len(suf) + 1:
            return v[: -len(suf)]
    return v


def province_of_city(city: str | None) -> str | None:
    """Province of a city in :data:`CITIES`, else None."""
    c = normalize_city(city)
    return CITIES[c][0] if c in CITIES else None


def city_warning(city: str | None, province: str | None = None) -> str | None:
    """Why a headquarters city deserves a look, or None: the city is not in :data:`CITIES`
    (it still imports, but gets no coordinates of its own and no Bay-Area membership), or it
    lies in another province than the one given. Provinces are checked strictly (an unknown
    one is a row error); cities only warn, since :data:`CITIES` lists the major ones only.

    >>> city_warning("深圳市"), city_warning("深圳", "广东") is None
    (None, True)
    >>> city_warning("深证").split(":")[0]
    "unknown city '深证'"
    >>> city_warning("深圳", "浙江")
    "city '深圳' lies in 广东, not in 浙江"
    """
    c = normalize_city(city)
    if c is None:
        return None
    if c not in CITIES:
        return (
            f"unknown city {c!r}: not among the {len(CITIES)} known cities; check the spelling "
            "(the province capital is used for distance)"
        )
    p = normalize_province(province)
    if p is not None and CITIES[c][0] != p:
        return f"city {c!r} lies in {CITIES[c][0]}, not in {p}"
    return None


def source_region(province: str | None, city: str | None) -> str | None:
    """``"jjj"``, ``"yrd"``, ``"gba"`` or None.

    A Guangdong firm counts for the Greater Bay Area only when its city is one
    of the nine GBA cities (a Guangdong firm with no city is not counted).
    """
    p = normalize_province(province) or province_of_city(city)
    c = normalize_city(city)
    for code, (provs, cities) in SOURCE_REGIONS.items():
        if (p is not None and p in provs) or (c is not None and c in cities):
            return code
    return None


def coordinates(province: str | None, city: str | None) -> tuple[float, float] | None:
    """(lat, lon) of the city if known, else of the province capital, else None."""
    c = normalize_city(city)
    if c in CITIES:
        _p, lat, lon = CITIES[c]
        return lat, lon
    p = normalize_province(province)
    if p is not None:
        _en, _cap, lat, lon = PROVINCES[p]
        return lat, lon
    return None


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def distance_km(province: str | None, city: str | None) -> float | None:
    """Distance from the headquarters (city, else province capital) to 运城; None if unknown."""
    xy = coordinates(province, city)
    return None if xy is None else haversine_km(xy, YUNCHENG)
