"""Synthetic foreign-related case files for demos, load tests and benchmarks.

Nothing here describes a real person: names are random combinations of common given and
family names per nationality, passport numbers are random strings in each state's visible
format, and every case is stored with ``synthetic=True`` (the UI labels it). References use the
normal ``FR-YYYY-NNNNNN`` form, continuing after the highest number already stored for the
year, so case pages, links and the case service treat demo cases like any other.

``synthesize`` is pure (same seed, count and anchor date → the same cases); ``generate``
writes them with SQLAlchemy Core ``insert()`` executemany in chunks and indexes them for
search in bulk, so 100,000 cases take minutes rather than the hours an ORM loop would.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from accord.cases import search
from accord.cases.models import Case, CaseEvent, IdentityDocument, Person, Statement
from accord.cases.stations import station_for_place
from accord.cases.vocab import CASE_TYPES
from accord.core.accounts.models import User, UserRole
from accord.core.db import Database
from accord.core.errors import Conflict, NotFound, ValidationFailed
from accord.core.i18n import M_, N_
from accord.core.roles import Role

MAX_COUNT = 1_000_000
CHUNK = 1000
BEIJING = timezone(timedelta(hours=8))
REFERENCE_PREFIX = "FR"

# --------------------------------------------------------------------------- people


@dataclass(frozen=True)
class Nationality:
    code: str  # ISO 3166-1 alpha-3
    weight: int  # rough share among foreign residents and visitors of a capital
    zh: str
    languages: tuple[str, ...]  # BCP 47, preferred first
    family: tuple[str, ...]
    male: tuple[str, ...]
    female: tuple[str, ...]
    family_first: bool = False
    passport: str = "AA9999999"  # A = letter, 9 = digit, anything else literal
    feminine_suffix: str = ""  # Slavic and Kazakh surnames take "-a" for women


NATIONALITIES: tuple[Nationality, ...] = (
    Nationality(
        "KOR",
        18,
        "韩国",
        ("ko", "en"),
        ("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim"),
        ("Minjun", "Jihoon", "Hyunwoo", "Dongha", "Seojun", "Taeyang"),
        ("Seoyeon", "Jiwoo", "Hayoon", "Minseo", "Yejin", "Sora"),
        family_first=True,
        passport="M99999999",
    ),
    Nationality(
        "USA",
        12,
        "美国",
        ("en",),
        ("Miller", "Carter", "Brooks", "Parker", "Hughes", "Foster", "Reed", "Bennett"),
        ("James", "Michael", "Daniel", "Ethan", "Tyler", "Jacob"),
        ("Emily", "Olivia", "Madison", "Hannah", "Grace", "Abigail"),
        passport="999999999",
    ),
    Nationality(
        "JPN",
        10,
        "日本",
        ("ja", "en"),
        ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura"),
        ("Haruto", "Sota", "Yuto", "Kenta", "Ren", "Daiki"),
        ("Yui", "Aoi", "Hina", "Sakura", "Mio", "Rina"),
        family_first=True,
        passport="AA9999999",
    ),
    Nationality(
        "RUS",
        8,
        "俄罗斯",
        ("ru",),
        ("Ivanov", "Smirnov", "Volkov", "Sokolov", "Morozov", "Lebedev", "Kozlov"),
        ("Alexei", "Dmitri", "Sergei", "Ivan", "Nikolai", "Pavel"),
        ("Anna", "Olga", "Yelena", "Maria", "Daria", "Irina"),
        passport="999999999",
        feminine_suffix="a",
    ),
    Nationality(
        "FRA",
        5,
        "法国",
        ("fr", "en"),
        ("Martin", "Bernard", "Dubois", "Laurent", "Lefèvre", "Girard", "Moreau"),
        ("Louis", "Hugo", "Julien", "Antoine", "Mathieu", "Théo"),
        ("Camille", "Léa", "Chloé", "Manon", "Élise", "Inès"),
        passport="99AA99999",
    ),
    Nationality(
        "DEU",
        5,
        "德国",
        ("de", "en"),
        ("Müller", "Schmidt", "Becker", "Hoffmann", "Schäfer", "Wagner", "Krüger"),
        ("Lukas", "Felix", "Jonas", "Maximilian", "Paul", "Niklas"),
        ("Lena", "Hannah", "Sophie", "Johanna", "Marie", "Clara"),
        passport="CAAAAAAAA",
    ),
    Nationality(
        "GBR",
        5,
        "英国",
        ("en",),
        ("Taylor", "Evans", "Walsh", "Turner", "Wright", "Davies", "Clarke"),
        ("Oliver", "Harry", "George", "Jack", "Alfie", "Callum"),
        ("Amelia", "Isla", "Charlotte", "Freya", "Poppy", "Imogen"),
        passport="999999999",
    ),
    Nationality(
        "VNM",
        4,
        "越南",
        ("vi", "en"),
        ("Nguyen", "Tran", "Le", "Pham", "Hoang", "Vu", "Dang"),
        ("Minh", "Duc", "Quang", "Tuan", "Hieu", "Long"),
        ("Linh", "Huong", "Trang", "Mai", "Thao", "Ngoc"),
        family_first=True,
        passport="A9999999",
    ),
    Nationality(
        "THA",
        3,
        "泰国",
        ("th", "en"),
        ("Srisuk", "Wongsawat", "Chaiyaporn", "Rattanakul", "Boonmee", "Kittisak"),
        ("Somchai", "Anurak", "Krit", "Nattapong", "Thanakorn"),
        ("Siriporn", "Kanya", "Ploy", "Naree", "Ratana"),
        passport="AA9999999",
    ),
    Nationality(
        "NGA",
        3,
        "尼日利亚",
        ("en",),
        ("Okafor", "Adeyemi", "Eze", "Balogun", "Okonkwo", "Nwosu", "Bello"),
        ("Chinedu", "Emeka", "Tunde", "Ifeanyi", "Olumide", "Segun"),
        ("Ngozi", "Amaka", "Funmilayo", "Chiamaka", "Adaeze", "Bisola"),
        passport="A99999999",
    ),
    Nationality(
        "PAK",
        3,
        "巴基斯坦",
        ("ur", "en"),
        ("Khan", "Malik", "Qureshi", "Butt", "Chaudhry", "Raza", "Siddiqui"),
        ("Ahmed", "Bilal", "Usman", "Hamza", "Imran", "Faisal"),
        ("Ayesha", "Fatima", "Sana", "Hira", "Mehwish", "Zainab"),
        passport="AA9999999",
    ),
    Nationality(
        "BRA",
        2,
        "巴西",
        ("pt", "en"),
        ("Silva", "Santos", "Oliveira", "Souza", "Costa", "Pereira", "Almeida"),
        ("Lucas", "Gabriel", "Rafael", "Thiago", "Mateus", "Bruno"),
        ("Ana", "Beatriz", "Larissa", "Camila", "Juliana", "Fernanda"),
        passport="AA999999",
    ),
    Nationality(
        "ESP",
        3,
        "西班牙",
        ("es", "en"),
        ("García", "Fernández", "López", "Martínez", "Sánchez", "Romero", "Navarro"),
        ("Javier", "Pablo", "Sergio", "Alejandro", "Álvaro", "Iker"),
        ("Lucía", "Carmen", "Marta", "Elena", "Nerea", "Paula"),
        passport="AAA999999",
    ),
    Nationality(
        "MEX",
        2,
        "墨西哥",
        ("es",),
        ("Hernández", "Ramírez", "Torres", "Flores", "Cruz", "Morales", "Reyes"),
        ("José", "Luis", "Diego", "Emiliano", "Santiago", "Rodrigo"),
        ("Guadalupe", "Sofía", "Valeria", "Ximena", "Fernanda", "Renata"),
        passport="G99999999",
    ),
    Nationality(
        "KAZ",
        3,
        "哈萨克斯坦",
        ("kk", "ru"),
        ("Suleimenov", "Abenov", "Zhaksybekov", "Omarov", "Nurlanov", "Akhmetov"),
        ("Nurlan", "Yerlan", "Daniyar", "Arman", "Timur", "Askar"),
        ("Aigerim", "Dana", "Madina", "Zhanar", "Aruzhan", "Dinara"),
        passport="N99999999",
        feminine_suffix="a",
    ),
    Nationality(
        "MNG",
        3,
        "蒙古",
        ("mn", "ru"),
        ("Batbayar", "Dorj", "Ganzorig", "Tsogt", "Enkhbold", "Purev"),
        ("Bat-Erdene", "Ganbold", "Temuulen", "Erdene", "Tuvshin", "Munkh"),
        ("Oyuntsetseg", "Saruul", "Nomin", "Enkhjin", "Khulan", "Anu"),
        passport="E9999999",
    ),
    Nationality(
        "CAN",
        3,
        "加拿大",
        ("en", "fr"),
        ("Tremblay", "Roy", "Gagnon", "Campbell", "MacDonald", "Wilson"),
        ("Liam", "Noah", "Owen", "Gabriel", "Nathan", "Ryan"),
        ("Chloé", "Emma", "Ava", "Maëlle", "Sarah", "Megan"),
        passport="AA999999",
    ),
)

# Chinese parties: hosts, employers, drivers, witnesses. Common surnames and given names only.
CHINESE_FAMILY = ("王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙")
CHINESE_GIVEN = (
    "建国",
    "丽华",
    "伟",
    "芳",
    "军",
    "静",
    "磊",
    "敏",
    "志强",
    "秀英",
    "海燕",
    "国庆",
    "晓明",
    "红梅",
    "俊杰",
    "雪",
)

# --------------------------------------------------------------------------- places and words

# (zh, Latin, Korean); Japanese statements use the Chinese name, others the Latin one.
PLACES: tuple[tuple[str, str, str, str], ...] = (
    ("朝阳区", "三里屯", "Sanlitun", "싼리툰"),
    ("朝阳区", "望京", "Wangjing", "왕징"),
    ("海淀区", "五道口", "Wudaokou", "우다오커우"),
    ("朝阳区", "国贸", "Guomao", "궈마오"),
    ("东城区", "王府井", "Wangfujing", "왕푸징"),
    ("东城区", "东直门站", "Dongzhimen Station", "둥즈먼역"),
    ("丰台区", "北京西站", "Beijing West Station", "베이징서역"),
    ("顺义区", "首都机场", "Capital Airport", "서우두 공항"),
    ("东城区", "鼓楼", "Gulou", "구러우"),
    ("海淀区", "中关村", "Zhongguancun", "중관춘"),
    ("朝阳区", "雅宝路", "Yabao Road", "야바오루"),
    ("西城区", "后海", "Houhai", "허우하이"),
    ("西城区", "西单", "Xidan", "시단"),
    ("朝阳区", "秀水街", "Xiushui Street", "슈수이제"),
)

STATEMENT_LANGUAGES = ("en", "es", "fr", "ru", "zh", "ko", "ja")
COLOURS: dict[str, tuple[str, ...]] = {
    "zh": ("黑色", "白色", "红色", "蓝色", "灰色", "银色"),
    "en": ("black", "white", "red", "blue", "grey", "silver"),
    "es": ("negro", "blanco", "rojo", "azul", "gris", "plateado"),
    "fr": ("noir", "blanc", "rouge", "bleu", "gris", "argenté"),
    "ru": ("чёрный", "белый", "красный", "синий", "серый", "серебристый"),
    "ko": ("검은색", "흰색", "빨간색", "파란색", "회색", "은색"),
    "ja": ("黒", "白", "赤", "青", "グレー", "銀色"),
}
# Items are grammatically masculine in es/fr/ru so the colour agrees without declension.
ITEMS: dict[str, tuple[str, ...]] = {
    "zh": ("手机", "钱包", "背包", "笔记本电脑"),
    "en": ("phone", "wallet", "backpack", "laptop"),
    "es": ("teléfono", "monedero", "bolso", "portátil"),
    "fr": ("téléphone", "portefeuille", "sac à dos", "ordinateur portable"),
    "ru": ("телефон", "кошелёк", "рюкзак", "ноутбук"),
    "ko": ("휴대폰", "지갑", "배낭", "노트북"),
    "ja": ("携帯電話", "財布", "リュック", "ノートパソコン"),
}
AMOUNTS = (200, 350, 500, 800, 1200, 2000, 3500, 5000)

# Two statement templates per case type and language. The zh template with the same index is
# the officer's Chinese translation of the others (same slots, filled with zh words).
T = dict[str, tuple[str, str]]
TEMPLATES: dict[str, T] = {
    "illegal-stay": {
        "zh": (
            "我的签证已经过期{days}天了。我本来打算上周离开，但是在{place}附近丢了机票。",
            "我知道签证到期了。{time}警察在{place}检查了我的证件。",
        ),
        "en": (
            "My visa expired {days} days ago. I planned to leave last week but lost my "
            "ticket near {place}.",
            "I know my visa has expired. At {time} the police checked my documents at {place}.",
        ),
        "es": (
            "Mi visado caducó hace {days} días. Pensaba salir la semana pasada, pero perdí "
            "el billete cerca de {place}.",
            "Sé que mi visado ha caducado. A las {time} la policía revisó mis documentos en "
            "{place}.",
        ),
        "fr": (
            "Mon visa a expiré il y a {days} jours. Je voulais partir la semaine dernière, "
            "mais j'ai perdu mon billet près de {place}.",
            "Je sais que mon visa a expiré. À {time}, la police a contrôlé mes papiers à {place}.",
        ),
        "ru": (
            "Моя виза истекла {days} дней назад. Я хотел уехать на прошлой неделе, но "
            "потерял билет возле {place}.",
            "Я знаю, что виза истекла. В {time} полиция проверила мои документы в {place}.",
        ),
        "ko": (
            "제 비자는 {days}일 전에 만료되었습니다. 지난주에 떠나려고 했는데 {place} 근처에서 "
            "항공권을 잃어버렸습니다.",
            "비자가 만료된 것을 압니다. {time}에 경찰이 {place}에서 제 서류를 확인했습니다.",
        ),
        "ja": (
            "私のビザは{days}日前に切れました。先週出国する予定でしたが、{place}の近くで航空券を"
            "なくしました。",
            "ビザが切れていることは知っています。{time}に{place}で警察が書類を確認しました。",
        ),
    },
    "illegal-employment": {
        "zh": (
            "我在{place}的一家餐厅工作，每个月拿{amount}元现金。老板说不需要工作许可。",
            "我是持旅游签证来的。我每天{time}开始在{place}的一家语言学校教课。",
        ),
        "en": (
            "I work at a restaurant in {place} and get {amount} yuan in cash every month. "
            "The owner said I did not need a work permit.",
            "I came on a tourist visa. I teach at a language school in {place}, starting at "
            "{time} every day.",
        ),
        "es": (
            "Trabajo en un restaurante en {place} y cobro {amount} yuanes en efectivo cada "
            "mes. El dueño dijo que no necesitaba permiso de trabajo.",
            "Vine con un visado de turista. Doy clases en una academia de idiomas en "
            "{place}; empiezo cada día a las {time}.",
        ),
        "fr": (
            "Je travaille dans un restaurant à {place} et je reçois {amount} yuans en "
            "espèces chaque mois. Le patron a dit que je n'avais pas besoin de permis de "
            "travail.",
            "Je suis venu avec un visa touristique. J'enseigne dans une école de langues à "
            "{place}, tous les jours à partir de {time}.",
        ),
        "ru": (
            "Я работаю в ресторане в {place} и получаю {amount} юаней наличными каждый "
            "месяц. Хозяин сказал, что разрешение на работу не нужно.",
            "Я приехал по туристической визе. Я преподаю в языковой школе в {place}, "
            "каждый день с {time}.",
        ),
        "ko": (
            "저는 {place}에 있는 식당에서 일하고 매달 현금으로 {amount}위안을 받습니다. "
            "사장님이 취업 허가가 필요 없다고 했습니다.",
            "관광 비자로 왔습니다. 매일 {time}부터 {place}에 있는 어학원에서 가르치고 있습니다.",
        ),
        "ja": (
            "{place}のレストランで働いていて、毎月現金で{amount}元をもらっています。店長は就労"
            "許可はいらないと言いました。",
            "観光ビザで来ました。毎日{time}から{place}の語学学校で教えています。",
        ),
    },
    "theft-victim": {
        "zh": (
            "{time}左右，我在{place}的时候，我的{colour}{item}被偷了。里面有大约{amount}元现金。",
            "一个男人在{place}撞了我一下，然后我发现{colour}{item}不见了。当时大概是{time}。",
        ),
        "en": (
            "At about {time}, while I was at {place}, my {colour} {item} was stolen. There "
            "was about {amount} yuan in cash inside.",
            "A man bumped into me at {place}, and then I noticed my {colour} {item} was "
            "gone. It was around {time}.",
        ),
        "es": (
            "Hacia las {time}, cuando estaba en {place}, me robaron el {item} {colour}. "
            "Dentro había unos {amount} yuanes en efectivo.",
            "Un hombre chocó conmigo en {place} y después noté que mi {item} {colour} ya no "
            "estaba. Eran más o menos las {time}.",
        ),
        "fr": (
            "Vers {time}, alors que j'étais à {place}, on m'a volé mon {item} {colour}. Il "
            "y avait environ {amount} yuans en espèces dedans.",
            "Un homme m'a bousculé à {place}, puis j'ai remarqué que mon {item} {colour} "
            "avait disparu. Il était environ {time}.",
        ),
        "ru": (
            "Около {time}, когда я был в {place}, у меня украли {colour} {item}. Внутри "
            "было около {amount} юаней наличными.",
            "Мужчина толкнул меня в {place}, и потом я заметил, что мой {colour} {item} "
            "пропал. Было примерно {time}.",
        ),
        "ko": (
            "{time}쯤 {place}에 있을 때 제 {colour} {item}을(를) 도난당했습니다. 안에 현금 약 "
            "{amount}위안이 있었습니다.",
            "{place}에서 한 남자가 저와 부딪혔고, 그 후 제 {colour} {item}이(가) 없어진 것을 "
            "알았습니다. {time}쯤이었습니다.",
        ),
        "ja": (
            "{time}ごろ、{place}にいたときに{colour}の{item}を盗まれました。中に現金が約"
            "{amount}元入っていました。",
            "{place}で男の人にぶつかられて、そのあと{colour}の{item}がないことに気づきました。"
            "{time}ごろでした。",
        ),
    },
    "traffic-accident": {
        "zh": (
            "{time}我在{place}附近骑自行车，一辆右转的{colour}汽车撞到了我。",
            "我在{place}过马路时是绿灯，一辆{colour}出租车没有停下来。时间大约是{time}。",
        ),
        "en": (
            "At {time} I was cycling near {place} when a {colour} car turning right hit me.",
            "The light was green when I crossed the road at {place}; a {colour} taxi did "
            "not stop. It was about {time}.",
        ),
        "es": (
            "A las {time} iba en bicicleta cerca de {place} cuando un coche {colour} que "
            "giraba a la derecha me atropelló.",
            "El semáforo estaba en verde cuando crucé la calle en {place}; un taxi {colour} "
            "no se detuvo. Eran más o menos las {time}.",
        ),
        "fr": (
            "À {time}, je roulais à vélo près de {place} quand un véhicule {colour} qui "
            "tournait à droite m'a heurté.",
            "Le feu était vert quand j'ai traversé la rue à {place} ; un taxi {colour} ne "
            "s'est pas arrêté. Il était environ {time}.",
        ),
        "ru": (
            "В {time} я ехал на велосипеде возле {place}, и {colour} автомобиль, "
            "поворачивая направо, сбил меня.",
            "Когда я переходил дорогу у {place}, горел зелёный; {colour} автомобиль такси "
            "не остановился. Было примерно {time}.",
        ),
        "ko": (
            "{time}에 {place} 근처에서 자전거를 타고 있었는데 우회전하던 {colour} 차가 저를 "
            "쳤습니다.",
            "{place}에서 길을 건널 때 초록불이었는데 {colour} 택시가 멈추지 않았습니다. "
            "{time}쯤이었습니다.",
        ),
        "ja": (
            "{time}に{place}の近くで自転車に乗っていたら、右折してきた{colour}の車にぶつけられ"
            "ました。",
            "{place}で道を渡ったときは青信号でしたが、{colour}のタクシーが止まりませんでした。"
            "{time}ごろでした。",
        ),
    },
    "dispute": {
        "zh": (
            "{time}在{place}的一家酒吧里，有人因为账单和我吵了起来，然后推了我。",
            "我们在{place}为了{amount}元的押金发生了争执，对方打了我的脸。",
        ),
        "en": (
            "At {time} in a bar at {place}, someone argued with me about the bill and then "
            "pushed me.",
            "We argued at {place} about a deposit of {amount} yuan, and the other man hit me "
            "in the face.",
        ),
        "es": (
            "A las {time}, en un bar de {place}, alguien discutió conmigo por la cuenta y "
            "luego me empujó.",
            "Discutimos en {place} por una fianza de {amount} yuanes y el otro hombre me "
            "golpeó en la cara.",
        ),
        "fr": (
            "À {time}, dans un bar à {place}, quelqu'un s'est disputé avec moi à propos de "
            "l'addition, puis m'a poussé.",
            "Nous nous sommes disputés à {place} au sujet d'une caution de {amount} yuans, "
            "et l'autre homme m'a frappé au visage.",
        ),
        "ru": (
            "В {time} в баре в {place} кто-то поспорил со мной из-за счёта, а потом толкнул меня.",
            "Мы поссорились в {place} из-за залога в {amount} юаней, и другой мужчина "
            "ударил меня по лицу.",
        ),
        "ko": (
            "{time}에 {place}의 한 술집에서 누군가 계산서 때문에 저와 말다툼을 하다가 저를 "
            "밀었습니다.",
            "{place}에서 보증금 {amount}위안 때문에 다퉜는데 상대방이 제 얼굴을 때렸습니다.",
        ),
        "ja": (
            "{time}に{place}のバーで、会計のことで誰かと口論になり、押されました。",
            "{place}で保証金{amount}元のことで言い争いになり、相手の男性に顔を殴られました。",
        ),
    },
    "lost-passport": {
        "zh": (
            "我的护照在{place}被偷了，大概是{time}。同时丢失的还有一个{colour}{item}。",
            "我最后一次看到护照是在{place}，时间是{time}。回到酒店后发现不见了。",
        ),
        "en": (
            "My passport was stolen at {place}, at about {time}. A {colour} {item} went "
            "missing with it.",
            "The last time I saw my passport was at {place} at {time}. When I got back to "
            "the hotel it was gone.",
        ),
        "es": (
            "Me robaron el pasaporte en {place}, hacia las {time}. Junto con él desapareció "
            "un {item} {colour}.",
            "La última vez que vi mi pasaporte fue en {place} a las {time}. Cuando volví al "
            "hotel ya no estaba.",
        ),
        "fr": (
            "On m'a volé mon passeport à {place}, vers {time}. Un {item} {colour} a disparu "
            "avec lui.",
            "La dernière fois que j'ai vu mon passeport, c'était à {place} à {time}. De "
            "retour à l'hôtel, il avait disparu.",
        ),
        "ru": (
            "Мой паспорт украли в {place} примерно в {time}. Вместе с ним пропал {colour} {item}.",
            "Последний раз я видел паспорт в {place} в {time}. Когда я вернулся в "
            "гостиницу, его не было.",
        ),
        "ko": (
            "{time}쯤 {place}에서 여권을 도난당했습니다. {colour} {item}도 함께 없어졌습니다.",
            "마지막으로 여권을 본 것은 {time}에 {place}에서였습니다. 호텔에 돌아와 보니 "
            "없었습니다.",
        ),
        "ja": (
            "{time}ごろ、{place}でパスポートを盗まれました。{colour}の{item}も一緒になくなり"
            "ました。",
            "最後にパスポートを見たのは{time}に{place}でした。ホテルに戻ったらなくなっていました。",
        ),
    },
    "death": {
        "zh": (
            "我的同伴昨天{time}在{place}突然倒下，我们马上叫了救护车。",
            "他前几天一直说身体不舒服。我最后一次见到他是在{place}，时间是{time}。",
        ),
        "en": (
            "My companion suddenly collapsed at {place} yesterday at {time}; we called an "
            "ambulance at once.",
            "He had been saying he felt unwell for several days. The last time I saw him was "
            "at {place} at {time}.",
        ),
        "es": (
            "Mi acompañante se desplomó de repente ayer a las {time} en {place}; llamamos "
            "enseguida a una ambulancia.",
            "Llevaba varios días diciendo que se encontraba mal. La última vez que lo vi fue "
            "en {place} a las {time}.",
        ),
        "fr": (
            "Mon compagnon s'est effondré soudainement hier à {time} à {place} ; nous avons "
            "tout de suite appelé une ambulance.",
            "Il disait depuis plusieurs jours qu'il ne se sentait pas bien. Je l'ai vu pour "
            "la dernière fois à {place} à {time}.",
        ),
        "ru": (
            "Мой спутник вчера в {time} внезапно упал в {place}, мы сразу вызвали скорую помощь.",
            "Он несколько дней жаловался на плохое самочувствие. Последний раз я видел его "
            "в {place} в {time}.",
        ),
        "ko": (
            "제 일행이 어제 {time}에 {place}에서 갑자기 쓰러져서 바로 구급차를 불렀습니다.",
            "그는 며칠 전부터 몸이 안 좋다고 했습니다. 마지막으로 본 것은 {time}에 {place}에서"
            "였습니다.",
        ),
        "ja": (
            "連れが昨日の{time}に{place}で突然倒れたので、すぐに救急車を呼びました。",
            "彼は数日前から体調が悪いと言っていました。最後に会ったのは{time}に{place}でした。",
        ),
    },
    "accommodation-registration": {
        "zh": (
            "我{days}天前搬进了{place}的一套公寓，不知道要在24小时内去派出所登记。",
            "房东说他会帮我登记住宿，所以我没有去。我是{time}到的{place}。",
        ),
        "en": (
            "I moved into a flat in {place} {days} days ago. I did not know I had to "
            "register at the police station within 24 hours.",
            "The landlord said he would register my stay, so I did not go. I arrived at "
            "{place} at {time}.",
        ),
        "es": (
            "Me mudé a un piso en {place} hace {days} días. No sabía que tenía que "
            "registrarme en la comisaría en 24 horas.",
            "El casero dijo que él registraría mi estancia, así que no fui. Llegué a {place} "
            "a las {time}.",
        ),
        "fr": (
            "J'ai emménagé dans un appartement à {place} il y a {days} jours. Je ne savais "
            "pas que je devais me déclarer au commissariat sous 24 heures.",
            "Le propriétaire a dit qu'il déclarerait mon séjour, alors je n'y suis pas allé. "
            "Je suis arrivé à {place} à {time}.",
        ),
        "ru": (
            "Я въехал в квартиру в {place} {days} дней назад. Я не знал, что нужно "
            "зарегистрироваться в полиции в течение 24 часов.",
            "Хозяин сказал, что сам зарегистрирует моё проживание, поэтому я не пошёл. Я "
            "приехал в {place} в {time}.",
        ),
        "ko": (
            "{days}일 전에 {place}의 아파트로 이사했습니다. 24시간 안에 파출소에 등록해야 하는 "
            "줄 몰랐습니다.",
            "집주인이 숙박 등록을 해 주겠다고 해서 가지 않았습니다. {place}에는 {time}에 "
            "도착했습니다.",
        ),
        "ja": (
            "{days}日前に{place}のアパートに引っ越しました。24時間以内に派出所で登録しなければ"
            "ならないことを知りませんでした。",
            "大家さんが宿泊登録をしてくれると言ったので、行きませんでした。{place}には{time}に"
            "着きました。",
        ),
    },
    "detention": {
        "zh": (
            "{time}我在{place}被带走。我要求通知我国大使馆，并需要一名翻译。",
            "我没有参与打架，我只是在{place}路过。警察{time}把我带到了派出所。",
        ),
        "en": (
            "I was taken away at {place} at {time}. I ask for my embassy to be informed and "
            "I need an interpreter.",
            "I was not part of the fight; I was only passing through {place}. The police "
            "took me to the station at {time}.",
        ),
        "es": (
            "Me detuvieron en {place} a las {time}. Pido que se informe a mi embajada y "
            "necesito un intérprete.",
            "No participé en la pelea; solo pasaba por {place}. La policía me llevó a la "
            "comisaría a las {time}.",
        ),
        "fr": (
            "J'ai été emmené à {place} à {time}. Je demande que mon ambassade soit informée "
            "et j'ai besoin d'un interprète.",
            "Je n'ai pas participé à la bagarre ; je passais seulement par {place}. La "
            "police m'a conduit au commissariat à {time}.",
        ),
        "ru": (
            "Меня задержали в {place} в {time}. Я прошу сообщить в моё посольство, и мне "
            "нужен переводчик.",
            "Я не участвовал в драке, я просто проходил через {place}. Полиция доставила "
            "меня в участок в {time}.",
        ),
        "ko": (
            "{time}에 {place}에서 연행되었습니다. 우리 대사관에 알려 주시고 통역사가 필요합니다.",
            "저는 싸움에 가담하지 않았고 {place}를 지나가고 있었을 뿐입니다. 경찰이 {time}에 "
            "저를 파출소로 데려갔습니다.",
        ),
        "ja": (
            "{time}に{place}で連行されました。大使館への通報を求めます。通訳が必要です。",
            "けんかには加わっていません。{place}を通りかかっただけです。警察に{time}に派出所へ"
            "連れて行かれました。",
        ),
    },
}

TITLES: dict[str, str] = {
    "illegal-stay": "{nat}籍人员签证逾期{days}天非法居留",
    "illegal-employment": "{nat}籍人员在{place}非法就业",
    "theft-victim": "{nat}籍人员在{place}被盗{item}",
    "traffic-accident": "{place}涉外交通事故（{nat}籍）",
    "dispute": "{place}涉外纠纷（{nat}籍）",
    "lost-passport": "{nat}籍人员护照在{place}被盗",
    "death": "{nat}籍人员在{place}死亡",
    "accommodation-registration": "{nat}籍人员在{place}未按规定办理住宿登记",
    "detention": "{nat}籍人员在{place}被羁押",
}

# Roles of the main foreign person, and the other parties each type usually has.
MAIN_ROLE = {
    "illegal-stay": "suspect",
    "illegal-employment": "suspect",
    "theft-victim": "victim",
    "traffic-accident": "victim",
    "dispute": "victim",
    "lost-passport": "reporter",
    "death": "deceased",
    "accommodation-registration": "suspect",
    "detention": "detainee",
}

# The case file is opened at the first of these (a report, the first contact, or a detention).
OPENING_EVENTS = ("reported", "first-contact", "detention")

# --------------------------------------------------------------------------- plain records


@dataclass
class SynthPerson:
    role: str
    full_name: str
    nationality: str
    languages: list[str]
    speaks_chinese: bool
    sex: str
    date_of_birth: date | None
    documents: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SynthStatement:
    person: int  # index into persons
    language: str
    text: str
    translation: str
    translation_language: str
    translation_source: str
    taken_at: datetime


@dataclass
class SynthCase:
    case_type: str
    status: str
    title: str
    summary: str
    place: str
    opened_at: datetime
    closed_at: datetime | None
    persons: list[SynthPerson]
    events: list[tuple[str, datetime, int | None, str]]  # kind, time, person index, note
    statements: list[SynthStatement]


# --------------------------------------------------------------------------- synthesis


class _Maker:
    def __init__(self, seed: int, until: datetime) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
        self.until = until
        self.nat_weights = [n.weight for n in NATIONALITIES]

    def nationality(self) -> Nationality:
        return self.rng.choices(NATIONALITIES, weights=self.nat_weights)[0]

    def passport_number(self, nat: Nationality) -> str:
        out = []
        for ch in nat.passport:
            if ch == "9":
                out.append(str(self.rng.randrange(10)))
            elif ch == "A":
                out.append(self.rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ"))
            else:
                out.append(ch)
        return "".join(out)

    def foreigner(
        self, role: str, nat: Nationality | None = None, family: str | None = None
    ) -> SynthPerson:
        rng = self.rng
        nat = nat or self.nationality()
        sex = rng.choice("FM")
        given = rng.choice(nat.female if sex == "F" else nat.male)
        surname = family or rng.choice(nat.family)
        if sex == "F" and nat.feminine_suffix and not surname.endswith(nat.feminine_suffix):
            surname += nat.feminine_suffix
        name = f"{surname} {given}" if nat.family_first else f"{given} {surname}"
        age = rng.randint(19, 72)
        dob = (self.until - timedelta(days=age * 365 + rng.randrange(365))).date()
        languages = list(nat.languages)
        speaks_chinese = rng.random() < 0.15
        if speaks_chinese:
            languages.append("zh")
        person = SynthPerson(role, name, nat.code, languages, speaks_chinese, sex, dob)
        issued = self.until.date() - timedelta(days=rng.randrange(1, 3000))
        person.documents.append(
            {
                "kind": "passport",
                "number": self.passport_number(nat),
                "issuing_state": nat.code,
                "expiry": issued + timedelta(days=3652),
            }
        )
        return person

    def chinese(self, role: str) -> SynthPerson:
        rng = self.rng
        age = rng.randint(22, 68)
        return SynthPerson(
            role,
            rng.choice(CHINESE_FAMILY) + rng.choice(CHINESE_GIVEN),
            "CHN",
            ["zh"],
            True,
            rng.choice("FM"),
            (self.until - timedelta(days=age * 365 + rng.randrange(365))).date(),
        )

    def statement_language(self, person: SynthPerson) -> str:
        if person.speaks_chinese and self.rng.random() < 0.3:
            return "zh"
        for language in person.languages:
            if language in STATEMENT_LANGUAGES:
                return language
        return "en"

    def statement(
        self,
        case_type: str,
        index: int,
        person: SynthPerson,
        slots: dict[str, Any],
        taken_at: datetime,
    ) -> SynthStatement:
        language = self.statement_language(person)
        template = self.rng.randrange(2)
        text = fill(TEMPLATES[case_type][language][template], language, slots)
        translation = ""
        if language != "zh" and self.rng.random() < 0.6:
            translation = fill(TEMPLATES[case_type]["zh"][template], "zh", slots)
        return SynthStatement(
            index,
            language,
            text,
            translation,
            "zh" if translation else "",
            "officer" if translation else "",
            taken_at,
        )

    def case(self, case_type: str) -> SynthCase:
        rng = self.rng
        district, place_zh, place_latin, place_ko = rng.choice(PLACES)
        t0 = self.until - timedelta(days=rng.uniform(6, 365))
        t0 = t0.replace(second=0, microsecond=0)
        colour, item = rng.randrange(len(COLOURS["en"])), rng.randrange(len(ITEMS["en"]))
        slots = {
            "time": t0.astimezone(BEIJING).strftime("%H:%M"),
            "place": {"zh": place_zh, "ja": place_zh, "ko": place_ko, "": place_latin},
            "colour": colour,
            "item": item,
            "amount": rng.choice(AMOUNTS),
            "days": rng.randint(3, 90),
        }
        nat = self.nationality()
        family = rng.choice(nat.family)
        main = self.foreigner(MAIN_ROLE[case_type], nat, family)
        persons = [main]
        nat_zh = next(n.zh for n in NATIONALITIES if n.code == main.nationality)
        if case_type in ("illegal-employment", "accommodation-registration"):
            persons.append(self.chinese("host"))
        elif case_type == "traffic-accident":
            persons.append(self.chinese("other"))
            if rng.random() < 0.4:
                persons.append(self.chinese("witness"))
        elif case_type == "dispute":
            persons.append(
                self.foreigner("suspect") if rng.random() < 0.5 else self.chinese("suspect")
            )
            if rng.random() < 0.4:
                persons.append(self.foreigner("witness"))
        elif case_type == "death":
            persons.append(self.foreigner("next-of-kin", nat, family))
        elif case_type == "theft-victim" and rng.random() < 0.3:
            persons.append(self.foreigner("witness"))
        if case_type in ("illegal-stay", "illegal-employment", "accommodation-registration"):
            visa_expiry = (
                t0.date() - timedelta(days=slots["days"])
                if case_type == "illegal-stay"
                else t0.date() + timedelta(days=rng.randint(5, 80))
            )
            main.documents.append(
                {
                    "kind": "visa",
                    "number": f"V{rng.randrange(10**8):08d}",
                    "issuing_state": "CHN",
                    "expiry": visa_expiry,
                }
            )
        elif rng.random() < 0.2:
            main.documents.append(
                {
                    "kind": "residence-permit",
                    "number": f"{main.nationality}{rng.randrange(10**9):09d}",
                    "issuing_state": "CHN",
                    "expiry": t0.date() + timedelta(days=rng.randint(30, 900)),
                }
            )
        events = self.events(case_type, t0)
        opened_at = next(at for kind, at, _, _ in events if kind in OPENING_EVENTS)
        interview = next((at for kind, at, _, _ in events if kind == "interview"), None)
        taken = interview or opened_at + timedelta(minutes=rng.randint(20, 120))
        speaker = 1 if case_type == "death" else 0
        statements = [self.statement(case_type, speaker, persons[speaker], slots, taken)]
        for index, person in enumerate(persons):
            if person.role == "witness" and person.nationality != "CHN" and rng.random() < 0.7:
                statements.append(
                    self.statement(case_type, index, person, slots, taken + timedelta(minutes=40))
                )
        status, closed_at = "open", None
        age_days = (self.until - opened_at).days
        if age_days > 30:
            roll = rng.random()
            if roll < 0.7:
                status = "closed"
                closed_at = min(self.until, opened_at + timedelta(days=rng.randint(3, 30)))
            elif roll < 0.8:
                status = "handed-over"
        title = TITLES[case_type].format(
            nat=nat_zh, place=place_zh, days=slots["days"], item=ITEMS["zh"][item]
        )
        local = t0.astimezone(BEIJING)
        summary = (
            f"{local:%Y-%m-%d %H:%M}，{district}{place_zh}。当事人：{main.full_name}"
            f"（{nat_zh}籍，{main.nationality}）。"
        )
        return SynthCase(
            case_type,
            status,
            title,
            summary,
            f"{district}{place_zh}",
            opened_at,
            closed_at,
            persons,
            events,
            statements,
        )

    def events(self, case_type: str, t0: datetime) -> list[tuple[str, datetime, int | None, str]]:
        """Event times that fit the type: detention cases get consular steps, and so on."""
        rng = self.rng
        out: list[tuple[str, datetime, int | None, str]] = []

        def add(kind: str, at: datetime, person: int | None = 0) -> datetime:
            out.append((kind, min(at, self.until), person, ""))
            return at

        def m(lo: int, hi: int) -> timedelta:
            return timedelta(minutes=rng.randint(lo, hi))

        if case_type in ("illegal-stay", "illegal-employment"):
            add("first-contact", t0)
            add("questioning-started", t0 + m(5, 30))
            add("identity-established", t0 + m(20, 180))
            add("rights-notified", t0 + m(20, 60))
            add("consular-rights-notified", t0 + m(30, 120))
            if rng.random() < 0.5:
                held = add("detention", t0 + m(60, 240))
                if rng.random() < 0.6:
                    add("consular-notification-requested", held + m(5, 60))
                add("consulate-notified", held + m(12 * 60, 5 * 1440))
            add("provincial-report", t0 + m(1440, 3 * 1440), None)
        elif case_type == "theft-victim":
            add("incident", t0)
            reported = add("reported", t0 + m(10, 600))
            add("interview", reported + m(30, 180))
        elif case_type == "traffic-accident":
            add("incident", t0)
            add("reported", t0 + m(2, 20))
            add("first-contact", t0 + m(10, 40))
            add("interview", t0 + m(60, 240))
        elif case_type == "dispute":
            add("incident", t0)
            add("reported", t0 + m(2, 30))
            add("first-contact", t0 + m(10, 40))
            add("interview", t0 + m(60, 300))
            if rng.random() < 0.3:
                held = add("detention", t0 + m(20, 60), 1)
                add("consular-rights-notified", held + m(20, 120), 1)
        elif case_type == "lost-passport":
            add("incident", t0)
            reported = add("reported", t0 + m(60, 2880))
            add("interview", reported + m(10, 60))
        elif case_type == "death":
            add("death", t0)
            add("reported", t0 + m(10, 120), 1)
            add("identity-established", t0 + m(60, 600))
            add("consulate-notified", t0 + m(120, 3 * 1440), None)
            add("provincial-report", t0 + m(1440, 2 * 1440), None)
        elif case_type == "accommodation-registration":
            days = rng.randint(2, 40)
            add("arrival", t0 - timedelta(days=days) + m(0, 600))
            add("first-contact", t0)
            add("registration", t0 + m(30, 240))
        elif case_type == "detention":
            add("incident", t0)
            held = add("detention", t0 + m(5, 60))
            add("identity-established", held + m(30, 240))
            add("rights-notified", held + m(10, 60))
            told = add("consular-rights-notified", held + m(30, 180))
            if rng.random() < 0.7:
                add("consular-notification-requested", told + m(5, 60))
            add("consulate-notified", held + m(12 * 60, 5 * 1440), None)
            add("interview", held + m(60, 480))
            if rng.random() < 0.6:
                add("release", held + m(1440, 3 * 1440))
            else:
                add("transfer", held + m(600, 2 * 1440))
        out.sort(key=lambda event: event[1])
        return out


def fill(template: str, language: str, slots: dict[str, Any]) -> str:
    """Fill a statement template with slot values in ``language``."""
    places = slots["place"]
    return template.format(
        time=slots["time"],
        amount=slots["amount"],
        days=slots["days"],
        place=places.get(language, places[""]),
        colour=COLOURS[language][slots["colour"]],
        item=ITEMS[language][slots["item"]],
    )


def synthesize(count: int, seed: int = 0, until: datetime | None = None) -> Iterator[SynthCase]:
    """``count`` cases, every case type in turn (so any 9 in a row cover all types)."""
    check_count(count)
    until = (until or datetime.now(UTC)).replace(hour=0, minute=0, second=0, microsecond=0)
    maker = _Maker(seed, until)
    types = list(CASE_TYPES)
    for n in range(count):
        yield maker.case(types[n % len(types)])


def check_count(count: int) -> None:
    if not 1 <= count <= MAX_COUNT:
        raise ValidationFailed(detail=M_("count: between 1 and 1,000,000"))


# --------------------------------------------------------------------------- storing


def officer_ids(connection: Connection, username: str | None = None) -> list[int]:
    """Active officers to assign cases to (round-robin), or the one named."""
    if username:
        user_id = connection.execute(select(User.id).where(User.username == username)).scalar()
        if user_id is None:
            raise NotFound(N_("No such user: %(name)s"), name=username)
        return [user_id]
    ids = list(
        connection.execute(
            select(User.id)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.OFFICER.value, User.active.is_(True))
            .order_by(User.id)
        ).scalars()
    )
    if not ids:
        raise ValidationFailed(detail=M_("create users first: accord demo load"))
    return ids


class _References:
    """``FR-YYYY-NNNNNN`` numbers continuing after the highest already stored for each year."""

    def __init__(self) -> None:
        self.next: dict[int, int] = {}

    def take(self, connection: Connection, opened_at: datetime) -> str:
        year = opened_at.astimezone(BEIJING).year
        if year not in self.next:
            last = connection.execute(
                select(func.max(Case.reference)).where(
                    Case.reference.like(f"{REFERENCE_PREFIX}-{year}-%")
                )
            ).scalar()
            self.next[year] = int(last.rsplit("-", 1)[1]) + 1 if last else 1
        number = self.next[year]
        if number > 999_999:
            raise Conflict(detail=M_("reference: no free case numbers left in the year"))
        self.next[year] = number + 1
        return f"{REFERENCE_PREFIX}-{year}-{number:06d}"


def generate(
    database: Database,
    count: int,
    *,
    seed: int = 0,
    officer: str | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """Write ``count`` synthetic cases (chunked bulk inserts, indexed for search)."""
    check_count(count)
    started = time.perf_counter()
    with database.engine.connect() as connection:
        officers = officer_ids(connection, officer)
    references = _References()
    totals = {"cases": 0, "persons": 0, "documents": 0, "events": 0, "statements": 0}
    batch: list[SynthCase] = []
    for synth in synthesize(count, seed, until):
        batch.append(synth)
        if len(batch) == CHUNK:
            _write_chunk(database, batch, officers, references, totals)
            batch = []
    if batch:
        _write_chunk(database, batch, officers, references, totals)
    return {
        **totals,
        "seconds": round(time.perf_counter() - started, 2),
        "seed": seed,
        "officers": len(officers),
    }


def _returning_ids(connection: Connection, table: Any, rows: Sequence[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    result = connection.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
    )
    return [row[0] for row in result]


def _write_chunk(
    database: Database,
    batch: list[SynthCase],
    officers: list[int],
    references: _References,
    totals: dict[str, int],
) -> None:
    with database.engine.begin() as connection:
        refs = [references.take(connection, c.opened_at) for c in batch]
        first = totals["cases"]
        case_ids = _returning_ids(
            connection,
            Case.__table__,
            [
                {
                    "reference": refs[i],
                    "case_type": c.case_type,
                    "status": c.status,
                    "title": c.title,
                    "summary": c.summary,
                    "place": c.place,
                    "station": station_for_place(c.place),
                    "source_report": "",
                    "guidance_version": "",
                    "synthetic": True,
                    "officer_id": officers[(first + i) % len(officers)],
                    "opened_at": c.opened_at,
                    "updated_at": c.closed_at or c.opened_at,
                    "closed_at": c.closed_at,
                }
                for i, c in enumerate(batch)
            ],
        )
        person_rows = [
            {
                "case_id": case_id,
                "role": p.role,
                "full_name": p.full_name,
                "nationality": p.nationality,
                "languages": p.languages,
                "speaks_chinese": p.speaks_chinese,
                "sex": p.sex,
                "date_of_birth": p.date_of_birth,
                "contact": "",
                "created_at": c.opened_at,
            }
            for case_id, c in zip(case_ids, batch, strict=True)
            for p in c.persons
        ]
        person_ids = iter(_returning_ids(connection, Person.__table__, person_rows))
        documents, events, statements = [], [], []
        per_case_person_ids: list[list[int]] = []
        for case_id, c in zip(case_ids, batch, strict=True):
            ids = [next(person_ids) for _ in c.persons]
            per_case_person_ids.append(ids)
            for person_id, p in zip(ids, c.persons, strict=True):
                documents.extend(
                    {
                        "person_id": person_id,
                        "kind": d["kind"],
                        "number": d["number"],
                        "issuing_state": d["issuing_state"],
                        "expiry": d["expiry"],
                        "mrz_verified": False,
                        "mrz_decision_id": "",
                        "image_sha256": "",
                        "created_at": c.opened_at,
                    }
                    for d in p.documents
                )
            events.extend(
                {
                    "case_id": case_id,
                    "person_id": ids[who] if who is not None else None,
                    "kind": kind,
                    "occurred_at": at,
                    "place": c.place,
                    "note": note,
                    "recorded_by": None,
                    "recorded_at": max(at, c.opened_at),
                }
                for kind, at, who, note in c.events
            )
            statements.extend(
                {
                    "case_id": case_id,
                    "person_id": ids[s.person],
                    "language": s.language,
                    "text": s.text,
                    "origin": "typed",
                    "translation": s.translation,
                    "translation_language": s.translation_language,
                    "translation_source": s.translation_source,
                    "translation_decision_id": "",
                    "interpreter": "",
                    "entities": [],
                    "taken_at": s.taken_at,
                    "audio_sha256": "",
                }
                for s in c.statements
            )
        if documents:
            connection.execute(insert(IdentityDocument.__table__), documents)
        if events:
            connection.execute(insert(CaseEvent.__table__), events)
        statement_ids = iter(_returning_ids(connection, Statement.__table__, statements))
        rows: list[search.IndexRow] = []
        for case_id, ids, c, ref in zip(case_ids, per_case_person_ids, batch, refs, strict=True):
            rows.extend(
                search.case_rows(
                    case_id,
                    reference=ref,
                    title=c.title,
                    summary=c.summary,
                    place=c.place,
                    persons=[
                        (pid, p.full_name, [d["number"] for d in p.documents])
                        for pid, p in zip(ids, c.persons, strict=True)
                    ],
                    statements=[(next(statement_ids), s.text, s.translation) for s in c.statements],
                )
            )
        search.write_rows(connection, rows)
    totals["cases"] += len(batch)
    totals["persons"] += len(person_rows)
    totals["documents"] += len(documents)
    totals["events"] += len(events)
    totals["statements"] += len(statements)
