# ruff: noqa: RUF001
"""Sentence frames and entity phrases for the evaluation corpus (English, Russian, Kazakh).

`{X}` in a frame takes an entity phrase; `{v}` in a phrase takes the value (the labelled span).
"""

from __future__ import annotations

FRAMES = {
    "en": (
        "Please verify the following: {X}.",
        "The customer provided {X} in the application form.",
        "Hi, can you update the record with {X}? Thanks.",
        "Summarise this ticket: the user reported a failed payment, {X}, priority high.",
        "{X} - please check it against the database before Friday.",
        "Write a formal letter to the bank and mention {X}.",
        "Extract the fields from this form: Name on file, {X}, status pending.",
        "Translate into Russian: my details are {X}, please keep them confidential.",
    ),
    "ru": (
        "Проверьте, пожалуйста, данные: {X}.",
        "Клиент указал в заявке {X}.",
        "Добрый день! Обновите карточку: {X}, спасибо.",
        "Составь письмо в банк, укажи {X}.",
        "{X} — сверить с базой до пятницы.",
        "Вот данные для договора: {X}, срок 12 месяцев.",
        "Кратко перескажи обращение: платёж не прошёл, {X}, приоритет высокий.",
        "Переведи на английский: мои данные {X}, прошу не разглашать.",
    ),
    "kk": (
        "Мына деректерді тексеріңізші: {X}.",
        "Клиент өтінішінде {X} көрсетті.",
        "Сәлеметсіз бе! Карточканы жаңартыңыз: {X}, рахмет.",
        "Банкке хат жазып беріңіз, {X} көрсетіңіз.",
        "{X} — жұмаға дейін дерекқормен салыстыру керек.",
        "Келісімшартқа арналған деректер: {X}, мерзімі 12 ай.",
        "Өтінішті қысқаша баянда: төлем өтпеді, {X}, басымдығы жоғары.",
        "Ағылшын тіліне аудар: менің деректерім {X}, оларды жария етпеңіз.",
    ),
}

PHRASES = {
    "KZ_IIN": {
        "en": ("IIN {v}", "IIN: {v}", "individual identification number {v}", "{v}"),
        "ru": ("ИИН {v}", "ИИН: {v}", "индивидуальный идентификационный номер {v}", "{v}"),
        "kk": ("ЖСН {v}", "ЖСН: {v}", "жеке сәйкестендіру нөмірі {v}", "{v}"),
    },
    "KZ_BIN": {
        "en": ("BIN {v}", "company BIN: {v}", "{v}"),
        "ru": ("БИН {v}", "БИН организации: {v}", "{v}"),
        "kk": ("БСН {v}", "ұйымның БСН: {v}", "{v}"),
    },
    "RU_INN": {
        "en": ("INN {v}", "taxpayer number (INN) {v}", "tax ID {v}"),
        "ru": ("ИНН {v}", "ИНН: {v}", "ИНН организации {v}"),
        "kk": ("ИНН {v}", "ресейлік ИНН: {v}"),
    },
    "RU_SNILS": {
        "en": ("SNILS {v}", "Russian pension insurance number {v}"),
        "ru": ("СНИЛС {v}", "СНИЛС: {v}", "страховой номер {v}"),
        "kk": ("СНИЛС {v}", "СНИЛС нөмірі {v}"),
    },
    "RU_PASSPORT": {
        "en": ("passport {v}", "Russian passport no. {v}"),
        "ru": ("паспорт {v}", "паспорт серия {v}", "паспортные данные: {v}"),
        "kk": ("төлқұжат {v}", "паспорт {v}"),
    },
    "US_SSN": {
        "en": ("SSN {v}", "social security number {v}", "{v}"),
        "ru": ("SSN {v}", "номер социального страхования SSN {v}"),
        "kk": ("SSN {v}", "әлеуметтік сақтандыру нөмірі (SSN) {v}"),
    },
    "CREDIT_CARD": {
        "en": ("card {v}", "card number {v}", "{v}"),
        "ru": ("карта {v}", "номер карты {v}", "{v}"),
        "kk": ("карта {v}", "карта нөмірі {v}", "{v}"),
    },
    "IBAN_CODE": {
        "en": ("IBAN {v}", "account {v}", "{v}"),
        "ru": ("IBAN {v}", "счёт {v}", "{v}"),
        "kk": ("IBAN {v}", "шот {v}", "{v}"),
    },
    "EMAIL_ADDRESS": {
        "en": ("{v}", "email {v}", "reply to {v}"),
        "ru": ("{v}", "почта {v}", "e-mail: {v}"),
        "kk": ("{v}", "пошта {v}", "эл. пошта: {v}"),
    },
    "PHONE_NUMBER": {
        "en": ("phone {v}", "{v}", "mobile: {v}"),
        "ru": ("тел. {v}", "{v}", "телефон {v}"),
        "kk": ("тел. {v}", "{v}", "ұялы телефон {v}"),
    },
    "IP_ADDRESS": {
        "en": ("server {v}", "IP {v}", "{v}"),
        "ru": ("сервер {v}", "IP-адрес {v}", "{v}"),
        "kk": ("сервер {v}", "IP мекенжайы {v}", "{v}"),
    },
    "SECRET": {
        "en": ("API key {v}", "token: {v}", "{v}", "key {v}"),
        "ru": ("ключ API {v}", "токен: {v}", "{v}"),
        "kk": ("API кілті {v}", "токен: {v}", "{v}"),
    },
}

PASSWORD_PHRASES = {
    "en": ("password: {v}", "the password is {v}", "pwd={v}"),
    "ru": ("пароль: {v}", "пароль — {v}", "пароль {v}"),
    "kk": ("құпия сөз: {v}", "құпиясөз: {v}", "пароль: {v}"),
}
URL_FRAMES = (
    "postgres://{user}:{pw}@db.internal:5432/app",
    "https://{user}:{pw}@git.example.kz/repo.git",
)

PERSON_FRAMES = {
    "en": (
        "Please send the signed contract to {P} by Friday.",
        "{P} called this morning about the invoice.",
        "Meeting notes: {P} will prepare the budget and {P2} reviews it.",
        "Can you draft a reply to {P}? She asked about the delivery dates.",
        "Our new hire, {P}, starts on Monday in the Almaty office.",
        "Dear {P}, thank you for your feedback on the March release.",
        "Summarise the complaint from {P} in two sentences.",
        "I spoke with Dr. {S} yesterday about the lab results.",
        "Ask {F} to review the pull request before the release.",
        "Mr. {S} requested a refund for order 5521.",
        "Add {P} and {P2} to the project channel.",
        "The report was written by {P} and approved by the board.",
    ),
    "ru": (
        "Отправьте подписанный договор {P_datv} до пятницы.",
        "{P} звонил сегодня утром по поводу счёта.",
        "Протокол: {P} готовит бюджет, {P2} его проверяет.",
        "Составь ответ для {P_gent}, она спрашивала про сроки поставки.",
        "Наш новый сотрудник {P} выходит в понедельник в офис в Алматы.",
        "Уважаемый {P}, благодарим за отзыв о мартовском релизе.",
        "Кратко перескажи жалобу, которую написал {P}.",
        "Вчера я говорил с доктором {S_ablt} о результатах анализов.",
        "Попроси {F_accs} посмотреть пул-реквест до релиза.",
        "Гражданин {S} запросил возврат по заказу 5521.",
        "Добавь {P_accs} и {P2_accs} в канал проекта.",
        "Отчёт подготовил {P}, совет директоров его утвердил.",
    ),
    "kk": (
        "Қол қойылған келісімшартты жұмаға дейін {P_dat} жіберіңіз.",
        "{P} бүгін таңертең шот бойынша қоңырау шалды.",
        "Хаттама: бюджетті {P} дайындайды, {P2} тексереді.",
        "{P_gen} хатына жауап жазып беріңіз, ол жеткізу мерзімін сұрады.",
        "Жаңа қызметкеріміз {P} дүйсенбіде Алматы кеңсесінде жұмысқа шығады.",
        "Құрметті {P}, наурыз шығарылымы туралы пікіріңіз үшін рахмет.",
        "Науқас {P} ертеңгі қабылдауға жазылды.",
        "Кеше дәрігер {S} талдау нәтижелері туралы айтты.",
        "{F_dat} пул-реквестті қарап шығуды айтыңыз.",
        "{P} 5521 тапсырысы бойынша ақшаны қайтаруды сұрады.",
        "{P} мен {P2} жоба арнасына қосыңыз.",
        "Есепті {P} дайындады, директорлар кеңесі оны бекітті.",
    ),
}

CLEAN = {
    "en": (
        "The quarterly revenue grew by 12.5% to 4,300,000 tenge compared with March 2024.",
        "Schedule the deployment for Tuesday at 14:30 and notify the Almaty team.",
        "Write a short poem about the mountains near Astana in winter.",
        "Our order 100234 ships from the Karaganda warehouse in 3-5 business days.",
        "Explain the difference between Python 3.11 and 3.12 in simple terms.",
        "The New York office closes on Thanksgiving; London stays open.",
        "Compare the Kaspi Bank and Halyk Bank mobile apps for small businesses.",
        "Version 2.4.1 fixes the login bug reported in ticket 4521.",
        "Summarise the article about the Caspian Sea oil fields in three bullet points.",
        "The meeting room on the 7th floor holds 12 people.",
        "Draft a job description for a Senior Data Engineer at our Astana office.",
        "What are the main tourist attractions in Shymkent and Turkestan?",
        "Convert 250 US dollars to Kazakhstani tenge at a rate of 470.",
        "The Board approved the 2025 budget of 1 200 000 000 tenge on 15 January.",
        "Please translate the user manual for the Model X200 printer.",
        "Our Slack workspace moved to the Enterprise Grid plan last week.",
        "The train from Almaty to Astana takes about 12 hours.",
        "List five healthy breakfast ideas with oats and berries.",
        "Microsoft Teams and Google Meet both support breakout rooms.",
        "Invoice 2024-0815 totals 1 250 000 tenge including VAT of 12%.",
    ),
    "ru": (
        "Квартальная выручка выросла на 12,5% до 4 300 000 тенге по сравнению с мартом 2024 года.",
        "Назначьте развёртывание на вторник в 14:30 и предупредите команду в Алматы.",
        "Напиши короткое стихотворение о горах под Алматы зимой.",
        "Заказ 100234 отправится со склада в Караганде через 3-5 рабочих дней.",
        "Объясни простыми словами разницу между Python 3.11 и 3.12.",
        "Московский офис закрыт в праздники, а офис в Астане работает.",
        "Сравни мобильные приложения Kaspi Bank и Халык Банка для малого бизнеса.",
        "Версия 2.4.1 исправляет ошибку входа из заявки 4521.",
        "Перескажи статью о нефтяных месторождениях Каспийского моря в трёх пунктах.",
        "Переговорная на 7 этаже вмещает 12 человек.",
        "Составь описание вакансии старшего инженера данных в офис в Астане.",
        "Какие главные достопримечательности есть в Шымкенте и Туркестане?",
        "Переведи 250 долларов США в тенге по курсу 470.",
        "Совет директоров утвердил бюджет на 2025 год в размере 1 200 000 000 тенге 15 января.",
        "Переведи руководство пользователя для принтера Model X200.",
        "Министерство финансов опубликовало новые правила 1 июля.",
        "Поезд из Алматы в Астану идёт около 12 часов.",
        "Предложи пять идей полезного завтрака с овсянкой и ягодами.",
        "Вчера в Москве прошла конференция Highload, было около 3000 участников.",
        "Счёт 2024-0815 на сумму 1 250 000 тенге с учётом НДС 12%.",
    ),
    "kk": (
        "Тоқсандық түсім 2024 жылғы наурызбен салыстырғанда 12,5%-ға өсіп, 4 300 000 теңгеге жетті.",
        "Орнатуды сейсенбі күні сағат 14:30-ға белгілеп, Алматы командасына хабарлаңыз.",
        "Қыста Астана маңындағы таулар туралы қысқа өлең жаз.",
        "100234 тапсырысы Қарағанды қоймасынан 3-5 жұмыс күнінде жіберіледі.",
        "Python 3.11 мен 3.12 арасындағы айырмашылықты қарапайым тілмен түсіндір.",
        "Астанадағы кеңсе мереке күндері жабық, ал Алматы кеңсесі жұмыс істейді.",
        "Шағын бизнеске арналған Kaspi Bank пен Халық Банкі қосымшаларын салыстыр.",
        "2.4.1 нұсқасы 4521 өтінімдегі кіру қатесін түзетеді.",
        "Каспий теңізіндегі мұнай кен орындары туралы мақаланы үш тармақпен қысқаша айт.",
        "7-қабаттағы кеңес бөлмесіне 12 адам сыяды.",
        "Астана кеңсесіне аға деректер инженері вакансиясының сипаттамасын жаз.",
        "Шымкент пен Түркістанның басты көрікті жерлері қандай?",
        "250 АҚШ долларын 470 бағамымен теңгеге айырбастап бер.",
        "Директорлар кеңесі 15 қаңтарда 2025 жылға арналған 1 200 000 000 теңге бюджетті бекітті.",
        "Model X200 принтерінің пайдаланушы нұсқаулығын аудар.",
        "Қаржы министрлігі 1 шілдеде жаңа ережелерді жариялады.",
        "Алматыдан Астанаға пойызбен шамамен 12 сағат жүреді.",
        "Сұлы мен жидектен жасалатын бес пайдалы таңғы ас ұсын.",
        "Кеше Алматыда IT конференциясы өтті, оған 3000-ға жуық адам қатысты.",
        "2024-0815 шотының сомасы ҚҚС 12% қоса алғанда 1 250 000 теңге.",
    ),
}

NEAR_MISS_PHRASES = {
    "iin": {"en": "IIN {v}", "ru": "ИИН {v}", "kk": "ЖСН {v}"},
    "number": {
        "en": "reference number {v}",
        "ru": "номер обращения {v}",
        "kk": "өтінім нөмірі {v}",
    },
    "card": {"en": "card {v}", "ru": "карта {v}", "kk": "карта {v}"},
    "iban": {"en": "IBAN {v}", "ru": "IBAN {v}", "kk": "IBAN {v}"},
    "inn": {"en": "INN {v}", "ru": "ИНН {v}", "kk": "ИНН {v}"},
    "snils": {"en": "SNILS {v}", "ru": "СНИЛС {v}", "kk": "СНИЛС {v}"},
    "ssn_invalid": {"en": "SSN {v}", "ru": "SSN {v}", "kk": "SSN {v}"},
}
