"""What the demo café sells and who buys it: the base program, the stores, the menu, the
customer personas and the rhythms of the week and the year. Data only; :mod:`demo_history`
plays it out."""

from __future__ import annotations

from dataclasses import dataclass

from regulars.domain.program.program import Level, LevelWindow, Program
from regulars.domain.rewards.catalog import RewardDraft

SEED = 20240917
DAYS = 365
NAME = "Bean & Leaf Coffee"
CURRENCY, LOCALE, TIMEZONE, PHONE_REGION = "EUR", "en_IE", "Europe/Dublin", "IE"
OWNER_KEY_LABEL = "demo owner key"

# 1 point = 1 cent. Silver and Gold need 1,000 and 10,000 euro over twelve months; Gold's 10 %
# is what a café's "tenth coffee free" card gives, and only offices buying for a team reach it.
PROGRAM = Program(
    levels=(Level(code="base", name="Base", threshold_minor=0, rate_bp=100),
            Level(code="silver", name="Silver", threshold_minor=100_000, rate_bp=300),
            Level(code="gold", name="Gold", threshold_minor=1_000_000, rate_bp=1000)),
    level_window=LevelWindow.ROLLING_12_MONTHS,
    point_value_minor=1,
    redeem_share_max_bp=3000,
    redeem_min_balance_points=100,
    redeem_excluded_categories=frozenset({"retail"}),
    expire_after_days=180,
    pending_days=14,
    welcome_bonus_points=100,
)

STORES = (  # code, name, cashiers
    ("GRF", "Grafton Street", ("Aoife Byrne", "Conor Walsh", "Niamh Kelly", "Darragh Ryan")),
    ("RNL", "Ranelagh", ("Siobhan Doyle", "Cian Murphy", "Orla Nolan")),
    ("DCK", "Docklands", ("Eoin Brennan", "Ciara Quinn", "Fionn Daly")),
)
BACK_OFFICE = (("Maeve O'Connor", "owner"), ("Rory Fitzgerald", "marketer"),
               ("Grace Lynch", "analyst"))


@dataclass(frozen=True)
class Item:
    sku: str
    name: str
    category: str
    price_minor: int


def _pool(category: str, *rows: tuple[str, str, int, int]) -> tuple[Item, ...]:
    """Items to draw from uniformly: each row (sku, name, price, popularity) appears as many
    times as its popularity."""
    return tuple(Item(sku, name, category, price)
                 for sku, name, price, popularity in rows for _ in range(popularity))


COFFEE = _pool("coffee", ("flat-white", "Flat white", 380, 6), ("latte", "Latte", 390, 5),
               ("cappuccino", "Cappuccino", 380, 5), ("americano", "Americano", 320, 4),
               ("espresso", "Espresso", 260, 2), ("mocha", "Mocha", 430, 2),
               ("iced-latte", "Iced latte", 440, 2))
TEA = _pool("tea", ("breakfast-tea", "Breakfast tea", 280, 3), ("chai", "Chai latte", 420, 2),
            ("matcha", "Matcha latte", 450, 1))
DRINKS = COFFEE + TEA
BAKERY = _pool("bakery", ("croissant", "Croissant", 290, 4),
               ("pain-choc", "Pain au chocolat", 320, 3), ("scone", "Scone with jam", 350, 2),
               ("banana-bread", "Banana bread", 360, 2), ("cookie", "Cookie", 240, 2))
FOOD = _pool("food", ("toastie", "Ham & cheese toastie", 750, 4),
             ("wrap", "Chicken wrap", 890, 3), ("soup", "Soup of the day", 650, 2),
             ("avo-toast", "Avocado toast", 950, 2), ("porridge", "Porridge", 520, 1))
EXTRAS = _pool("extras", ("oat-milk", "Oat milk", 40, 3), ("extra-shot", "Extra shot", 60, 2))
RETAIL = _pool("retail", ("beans-250", "House beans 250 g", 1250, 4),
               ("beans-1k", "House beans 1 kg", 3800, 1), ("keepcup", "KeepCup", 1600, 1))
MENU = tuple({item.sku: item for item in
               COFFEE + TEA + BAKERY + FOOD + EXTRAS + RETAIL}.values())
"""Every item once: the product list cashiers pick from."""
FAVOURITES = frozenset({"flat-white", "latte", "cappuccino", "americano", "breakfast-tea",
                        "croissant", "toastie", "oat-milk"})
"""The till's quick keys."""
# What each kind of visit buys: (from which items, fewest, most, chance of buying any).
BASKETS = {
    "coffee": ((DRINKS, 1, 1, 1.0), (BAKERY, 1, 1, 0.25), (EXTRAS, 1, 1, 0.15),
               (RETAIL, 1, 1, 0.02)),
    "lunch": ((DRINKS, 1, 1, 1.0), (FOOD, 1, 1, 1.0), (BAKERY, 1, 1, 0.2),
              (EXTRAS, 1, 1, 0.1)),
    "leisure": ((DRINKS, 1, 2, 1.0), (FOOD, 1, 1, 0.2), (BAKERY, 1, 2, 0.45),
                (EXTRAS, 1, 1, 0.15), (RETAIL, 1, 1, 0.04)),
    "brunch": ((DRINKS, 2, 4, 1.0), (FOOD, 2, 3, 1.0), (BAKERY, 1, 2, 0.4)),
    "office": ((DRINKS, 10, 20, 1.0), (BAKERY, 4, 10, 1.0)),
}


@dataclass(frozen=True)
class Persona:
    """A kind of customer: how often they come back (visits a week, drawn per customer), what
    they buy, at what hours (earliest, likeliest, latest) and whether they come on weekdays."""

    name: str
    share: float
    visits_per_week: tuple[float, float]
    style: str
    hours: tuple[float, float, float]
    commuter: bool


PERSONAS = (
    Persona("one-off", 0.614, (0.0, 0.0), "leisure", (8.5, 12.5, 18.5), False),
    Persona("occasional", 0.27, (0.02, 0.1), "leisure", (8.5, 13.0, 18.5), False),
    Persona("regular", 0.035, (0.25, 0.7), "coffee", (7.25, 8.5, 10.5), True),
    Persona("lunch regular", 0.025, (0.25, 0.7), "lunch", (11.75, 13.0, 14.5), True),
    Persona("weekend brunch", 0.01, (0.6, 1.2), "brunch", (10.0, 11.5, 14.0), False),
    Persona("daily", 0.005, (2.0, 3.5), "coffee", (7.0, 8.25, 9.75), True),
    Persona("daily lunch", 0.006, (2.5, 3.5), "lunch", (12.0, 13.0, 14.25), True),
    Persona("sign-up only", 0.035, (0.0, 0.0), "none", (9.0, 12.0, 18.0), False),
)
OFFICE = Persona("office", 0.0, (2.8, 3.8), "office", (8.75, 9.5, 11.0), True)
OFFICES = ("Liffey Analytics", "Quayside Legal", "Harbour Health", "Spencer Dock Studio",
           "Grand Canal Capital", "Ringsend Robotics", "Pearse Street Press", "Barrow Digital")
FIRST_NAMES = ("Aoife", "Sean", "Emma", "Jack", "Saoirse", "James", "Sophie", "Conor", "Grace",
               "Daniel", "Ella", "Liam", "Caoimhe", "Adam", "Sarah", "Oisin", "Chloe", "Luke",
               "Roisin", "Michael", "Hannah", "Patrick", "Ava", "Ciaran", "Lucy", "Noah",
               "Ailbhe", "Tomas", "Zofia", "Mateusz", "Ana", "Lucas", "Priya", "Wei")
LAST_NAMES = ("Murphy", "Kelly", "O'Sullivan", "Walsh", "Smith", "O'Brien", "Byrne", "Ryan",
              "O'Connor", "O'Neill", "Reilly", "Doyle", "McCarthy", "Gallagher", "Doherty",
              "Kennedy", "Lynch", "Murray", "Quinn", "Moore", "McLoughlin", "Carroll",
              "Kowalski", "Silva", "Nowak", "Sharma", "Chen", "Brennan")
MILKS = ("oat", "whole", "skimmed", "soya", "almond")
COMMUTER_DAYS = (1.0, 1.0, 1.0, 1.0, 1.0, 0.25, 0.1)  # Monday .. Sunday
LEISURE_DAYS = (0.8, 0.8, 0.85, 0.9, 1.1, 1.5, 1.3)
SEASON = {1: 0.85, 2: 0.9, 3: 0.95, 4: 1.0, 5: 1.0, 6: 0.95, 7: 0.85, 8: 0.85, 9: 1.05,
          10: 1.05, 11: 1.05, 12: 1.15}
ANONYMOUS_PER_STORE_DAY = 2.2 / 1000  # per member in the programme
VOID_SHARE, REFUND_SHARE = 0.004, 0.008


REWARDS = (
    RewardDraft(kind="product", category="coffee", max_price_minor=420, points_cost=200,
                cost_minor=90, stock_per_day=40,
                titles={"en": "A coffee on us", "ru": "Кофе в подарок", "uk": "Кава в подарунок",
                        "bg": "Кафе подарък"},
                descriptions={"en": "Any coffee up to 4.20.", "ru": "Любой кофе до 4,20.",
                              "uk": "Будь-яка кава до 4,20.", "bg": "Всяко кафе до 4,20."}),
    RewardDraft(kind="product", category="bakery", points_cost=150, cost_minor=60,
                titles={"en": "A pastry", "ru": "Выпечка", "uk": "Випічка", "bg": "Тестено"},
                descriptions={"en": "Any pastry from the counter."}),
    RewardDraft(kind="percent", rate_bp=1000, points_cost=300, claim_days=14,
                titles={"en": "10 % off your visit", "ru": "Скидка 10 % на визит",
                        "uk": "Знижка 10 % на візит", "bg": "10 % отстъпка"},
                descriptions={}),
)
