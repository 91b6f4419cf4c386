# ruff: noqa: RUF001
"""Free-form sentences written without templates, names marked `[[...]]`; reported apart
from the targets as a rougher check of PERSON on chat-like text.

`SENTENCES` was used while developing the PERSON rules (a development set: its first score,
before any change, was EN 0.80/0.86, RU 1.00/1.00, KK 0.87/0.93 recall/precision).
`HELD_OUT` was written afterwards and has never been used to change the detector."""

from __future__ import annotations

SENTENCES = {
    "en": (
        "hey can u ask [[Marcus]] if the deploy is done",
        "Forwarding the thread from [[Olivia Brennan]] — she needs the numbers by EOD.",
        "Per our call, [[Rahul Mehta]] and [[Jonas Weber]] will own the migration.",
        "Write a birthday note for my colleague [[Aigerim]], she loves mountains.",
        "Can you rephrase this for Mr. [[Thompson]]? He found the last email too blunt.",
        "The interview with [[Sofia Alvarez]] went well; schedule a second round.",
        "Translate for Dr. [[Nurlan Seitkali]]: the results will be ready on Friday.",
        "minutes: [[Greg]] presented, [[Hannah]] asked about costs, no decisions yet",
        "Summarize the feedback [[Kevin O'Brien]] left on the design doc.",
        "Please draft a reference letter for [[Emily Carter]] who interned with us in 2023.",
        "Our landlord [[Peter Kowalski]] wants the rent by the 5th.",
        "Remind [[Tom]] that the Berlin trip is cancelled.",
        "Is [[Angela Martinez]] still the point of contact at Halyk Bank?",
        "Compare the proposals from Deloitte and KPMG for the audit.",
        "The Apple event is on Tuesday; I will watch it with the team.",
        "Add a slide about Kazakhstan's GDP growth and the National Fund.",
        "Send the Q3 Report to the Board before the Annual Meeting.",
        "Use Google Sheets or Microsoft Excel, whichever is easier.",
    ),
    "ru": (
        "привет, спроси у [[Димы]], он уже залил фикс?",
        "Перешли письмо от [[Ольги Бреннер]], ей нужны цифры до вечера.",
        "По итогам созвона миграцию ведут [[Рахим Мехтиев]] и [[Йонас Вебер]].",
        "Напиши поздравление моей коллеге [[Айгерим]], она любит горы.",
        "Перефразируй письмо для господина [[Томпсона]], прошлое показалось ему резким.",
        "Собеседование с [[Софьей Альварес]] прошло хорошо, назначь второй этап.",
        "Переведи для доктора [[Сейткали]]: результаты будут в пятницу.",
        "протокол: [[Гриша]] показал презентацию, [[Анна]] спросила про бюджет",
        "Кратко изложи отзыв, который [[Константин Олегович]] оставил к макету.",
        "Подготовь рекомендательное письмо для [[Екатерины Карташовой]], она стажировалась у нас.",
        "Наш арендодатель [[Пётр Ковальский]] просит оплату до 5 числа.",
        "Напомни [[Тимуру]], что поездка в Берлин отменена.",
        "[[Ангелина Мартынова]] всё ещё контактное лицо в Халык Банке?",
        "Сравни предложения Deloitte и KPMG по аудиту.",
        "Добавь слайд про рост ВВП Казахстана и Национальный фонд.",
        "Отправь отчёт за третий квартал Совету директоров до годового собрания.",
        "В Алматы завтра снег, а в Астане мороз до минус тридцати.",
        "Используй Google Таблицы или Excel, как удобнее.",
    ),
    "kk": (
        "сәлем, [[Дәуреннен]] сұрашы, түзетуді жүктеді ме?",
        "[[Ольга Бреннер]] жіберген хатты маған жолдаңыз, оған кешке дейін сандар керек.",
        "Көшіруді [[Рахым Мехтиев]] пен [[Йонас Вебер]] жүргізеді.",
        "Әріптесім [[Айгерімге]] құттықтау жазып беріңіз, ол тауды жақсы көреді.",
        "[[Томпсон]] мырза үшін хатты жұмсартып қайта жаз.",
        "[[Софья Альварес]] сұхбаттан жақсы өтті, екінші кезеңді белгілеңіз.",
        "Дәрігер [[Сейітқали]] үшін аудар: нәтижелер жұмада дайын болады.",
        "хаттама: [[Ғалым]] баяндама жасады, [[Әсем]] бюджет туралы сұрады",
        "[[Қанат Ерболұлы]] макетке қалдырған пікірді қысқаша айт.",
        "Бізде тағылымдамадан өткен [[Екатерина Карташова]] үшін ұсыныс хат дайында.",
        "Пәтер иесі [[Петр Ковальский]] ақыны 5-ке дейін төлеуді сұрайды.",
        "[[Тимурға]] Берлинге сапар тоқтатылғанын ескерт.",
        "[[Ангелина Мартынова]] әлі де Халық Банкіндегі байланыс адамы ма?",
        "Аудит бойынша Deloitte пен KPMG ұсыныстарын салыстыр.",
        "Қазақстанның ЖІӨ өсімі мен Ұлттық қор туралы слайд қос.",
        "Үшінші тоқсан есебін жылдық жиналысқа дейін Директорлар кеңесіне жібер.",
        "Ертең Алматыда қар жауады, ал Астанада отыз градус аяз.",
        "Google Кестелерін немесе Excel қолдан, қайсысы ыңғайлы болса.",
    ),
}


HELD_OUT = {
    "en": (
        "Loop in [[Brian Kessler]] from legal before we sign anything.",
        "quick q for [[Nadia]]: do we still need the VPN for staging?",
        "[[Laura Pennington]] approved the budget, so go ahead with the order.",
        "Could you write a thank-you card to Mrs. [[Delgado]] for the flowers?",
        "The visa letter should be addressed to [[Askar Bekmukhambetov]] at the embassy.",
        "I met [[Yerlan]] and [[Dana Ospanova]] at the Astana Hub meetup.",
        "Rewrite the bio of Prof. [[Harold Jennings]] in a friendlier tone.",
        "Tell the Finance Team the Audit Committee moved to Thursday.",
        "We are migrating from Oracle Database to PostgreSQL next quarter.",
        "Book a table at Del Papa for Friday evening, six people.",
        "Our CTO [[Marat Zhaksylykov]] will present the roadmap.",
        "Please proofread the essay [[Chloe]] wrote about Silk Road trade.",
    ),
    "ru": (
        "Подключи [[Бориса Кесслера]] из юротдела, прежде чем подписывать.",
        "вопрос к [[Наде]]: нам всё ещё нужен VPN для стейджинга?",
        "[[Лариса Пеннингтон]] утвердила бюджет, можно оформлять заказ.",
        "Напиши открытку с благодарностью госпоже [[Дельгадо]] за цветы.",
        "Письмо для визы адресуй [[Аскару Бекмухамбетову]] в посольство.",
        "Я встретил [[Ерлана]] и [[Дану Оспанову]] на митапе в Astana Hub.",
        "Перепиши биографию профессора [[Дженнингса]] более дружелюбно.",
        "Передай финансовому отделу, что комитет по аудиту перенесли на четверг.",
        "Мы переезжаем с Oracle на PostgreSQL в следующем квартале.",
        "Забронируй столик в ресторане Дель Папа на пятницу на шестерых.",
        "Наш технический директор [[Марат Жаксылыков]] представит дорожную карту.",
        "Проверь сочинение, которое [[Алиса]] написала о Великом шёлковом пути.",
    ),
    "kk": (
        "Қол қоймас бұрын заң бөлімінен [[Борис Кесслерді]] қос.",
        "[[Надяға]] сұрақ: стейджингке әлі VPN керек пе?",
        "[[Лариса Пеннингтон]] бюджетті бекітті, тапсырысты рәсімдей беріңіз.",
        "Гүлдер үшін [[Дельгадо]] ханымға алғыс хат жазыңызшы.",
        "Виза хатын елшілікке [[Асқар Бекмұхамбетовке]] жолда.",
        "Astana Hub кездесуінде [[Ерлан]] мен [[Дана Оспановаға]] кездестім.",
        "Профессор [[Дженнингстің]] өмірбаянын жылырақ етіп қайта жаз.",
        "Қаржы бөліміне аудит комитеті бейсенбіге ауысқанын айт.",
        "Келесі тоқсанда Oracle-дан PostgreSQL-ге көшеміз.",
        "Жұма кешке Дель Папа мейрамханасынан алты адамға үстел брондаңыз.",
        "Техникалық директорымыз [[Марат Жақсылықов]] жол картасын таныстырады.",
        "[[Әлия]] Ұлы Жібек жолы туралы жазған шығарманы тексер.",
    ),
}


def parse(sentence: str) -> tuple[str, list[list]]:
    """Strip `[[...]]` markers; return the text and its PERSON spans."""
    text, spans = [], []
    pos, i = 0, 0
    while i < len(sentence):
        if sentence.startswith("[[", i):
            j = sentence.index("]]", i)
            name = sentence[i + 2 : j]
            spans.append([pos, pos + len(name), "PERSON"])
            text.append(name)
            pos += len(name)
            i = j + 2
        else:
            text.append(sentence[i])
            pos += 1
            i += 1
    return "".join(text), spans
