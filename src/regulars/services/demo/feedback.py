"""The demo business's feedback and questions: about a third of the last 150 member
receipts rated (a few with comments for the console to answer), and a
FAQ of four entries in each language. Written in bulk, so the demo starts as fast."""

from __future__ import annotations

from regulars.services.feedback import samples
from regulars.services.runtime import Runtime

COMMENTS = (
    (5, "Best flat white in town, and the staff remember my name."),
    (2, "Waited almost ten minutes at lunchtime; the queue barely moved."),
    (4, "Lovely cake. Could you add an oat milk option for the cold brew?"),
    (1, "My coffee was cold and nobody asked why I brought it back."),
    (5, "Quick, friendly, and the stamp card is a nice touch."),
)

FAQ = {
    "en": (("How do I earn points?", "Show your card or say your phone number at the till: "
            "every purchase earns points at your level's rate."),
           ("Do points expire?", "Points expire a year after you earn them; we text you a "
            "week before."),
           ("How do I reach the next level?", "Your spend over the last 12 months decides "
            "your level; the card page shows how much is left to the next one."),
           ("Can I pay with points?", "Yes: points can pay part of a bill at the till. "
            "Ask the cashier before paying.")),
    "ru": (("Как получать баллы?", "Покажите карту или назовите телефон на кассе: каждая "
            "покупка приносит баллы по ставке вашего уровня."),
           ("Баллы сгорают?", "Баллы сгорают через год после начисления; мы напомним за "
            "неделю."),
           ("Как перейти на следующий уровень?", "Уровень зависит от покупок за последние "
            "12 месяцев; на странице карты видно, сколько осталось."),
           ("Можно платить баллами?", "Да, баллами можно оплатить часть чека. Скажите "
            "кассиру до оплаты.")),
    "uk": (("Як отримувати бали?", "Покажіть картку або назвіть телефон на касі: кожна "
            "покупка приносить бали за ставкою вашого рівня."),
           ("Бали згорають?", "Бали згорають через рік після нарахування; ми нагадаємо за "
            "тиждень."),
           ("Як перейти на наступний рівень?", "Рівень залежить від покупок за останні "
            "12 місяців; на сторінці картки видно, скільки лишилося."),
           ("Чи можна платити балами?", "Так, балами можна оплатити частину чека. Скажіть "
            "касиру до оплати.")),
    "bg": (("Как се трупат точки?", "Покажете картата или кажете телефона си на касата: "
            "всяка покупка носи точки според вашето ниво."),
           ("Изтичат ли точките?", "Точките изтичат година след като ги получите; ще ви "
            "напомним седмица по-рано."),
           ("Как се стига до следващото ниво?", "Нивото зависи от покупките през последните "
            "12 месеца; страницата на картата показва колко остава."),
           ("Мога ли да платя с точки?", "Да, с точки може да се плати част от сметката. "
            "Кажете на касиера преди плащане.")),
}


def add(rt: Runtime, tenant_id: int, *, seed: int) -> int:
    """Rate some of the latest receipts and write the FAQ; how many receipts were rated."""
    rated = samples.rate_recent(rt, tenant_id, receipts=150, share_percent=35,
                                comments=COMMENTS, seed=seed)
    samples.write_faq(rt, tenant_id, FAQ)
    return rated
