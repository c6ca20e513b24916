## Рост: рефералы, промокоды, поиск, инлайн-режим, массовые заказы

command-search = Найти услугу по словам
command-promo = Активировать промокод
command-invite = Ваша ссылка-приглашение и бонус
command-mass = Много заказов сразу

## Рефералы

menu-invite = 👥 Пригласить друзей
referral-welcome = 🤝 Вы пришли по приглашению друга.
referral-off = Реферальная программа сейчас не действует.
referral-screen =
    👥 <b>Пригласите друзей</b>

    Поделитесь своей ссылкой. Каждый раз, когда пришедший по ней пополняет баланс, вы получаете <b>{ $percent }%</b> от пополнения.

    Ваша ссылка: { $link }

    Пришли по вашей ссылке: <b>{ $joined }</b>
    Заработано: <b>{ $earned }</b>
referral-bonus-notice = 🎉 Реферальный бонус: на баланс зачислено <b>{ $amount }</b> — приглашённый вами пользователь пополнил счёт.
ledger-referral = Реферальный бонус
ledger-referral-reversal = Реферальный бонус списан (платёж возвращён)
ledger-promo = Промокод { $code }

## Промокоды

button-promo = 🎁 Промокод
promo-ask = 🎁 Пришлите ваш промокод.
promo-credited = 🎁 Промокод <b>{ $code }</b> активирован: зачислено <b>{ $amount }</b>. Баланс: { $balance }
promo-discount-saved = 🎁 Промокод <b>{ $code }</b> активирован: скидка <b>{ $percent }%</b> на ваш следующий заказ. Она будет видна в карточке подтверждения заказа.
promo-discount-line = 🎁 Промокод <b>{ $code }</b>: скидка { $percent }%, −{ $discount } (уже учтена в цене).
promo-unknown = ⚠️ Такого промокода нет, или он больше не действует. Проверьте написание.
promo-expired = ⚠️ Срок действия промокода истёк.
promo-used-up = ⚠️ Этот промокод уже израсходован.
promo-already-redeemed = Вы уже использовали этот промокод.
promo-discount-pending = У вас уже есть скидка на следующий заказ. Сначала воспользуйтесь ею, затем активируйте этот код.
promo-too-many-attempts = ⏳ Слишком много неверных кодов. Подождите { $minutes ->
    [one] { $minutes } минуту
    [few] { $minutes } минуты
    [many] { $minutes } минут
   *[other] { $minutes } минуты
} и попробуйте снова.
promo-discount-used = ⚠️ Эта скидка уже использована в другом заказе. Ничего не списано: оформите этот заказ заново.
promo-admin-usage =
    Промокоды:
    <code>/promo add КОД 5</code> — сразу зачисляет 5
    <code>/promo add КОД 10%</code> — скидка 10% на следующий заказ
    параметры: <code>uses=N</code> (всего), <code>until=ГГГГ-ММ-ДД</code> (последний день действия, UTC)
    <code>/promo list</code> — коды и сколько раз их использовали
    <code>/promo off КОД</code> — отключить код
promo-admin-bad-code = ⚠️ Код — это 2–32 латинские буквы, цифры, _ или -.
promo-admin-bad-percent = ⚠️ Скидка — больше 0% и меньше 100%, например 10% или 12.5%.
promo-admin-bad-amount = ⚠️ Сумма должна быть положительным числом, например 5 или 2.50 (или процентом, например 10%).
promo-admin-bad-date = ⚠️ Дата в формате ГГГГ-ММ-ДД, не раньше сегодняшней.
promo-admin-exists = ⚠️ Код { $code } уже существует.
promo-admin-not-found = ⚠️ Нет действующего кода { $code }.
promo-admin-created = ✅ Код <code>{ $code }</code>: { $value } · использований: { $uses } · до: { $until }
promo-admin-off = ✅ Код <code>{ $code }</code> отключён.
promo-admin-list-empty = Промокодов пока нет.
promo-admin-list-title = 🎁 <b>Промокоды</b> (использовано / разрешено)
promo-admin-list-line = <code>{ $code }</code> — { $value } · { $used }/{ $uses } · до { $until }{ $active ->
    [yes] {""}
   *[no] {" "}· отключён
}
promo-admin-value-percent = скидка { $percent }% на следующий заказ

## Поиск и инлайн-режим

button-search = 🔎 Поиск
button-search-again = 🔎 Новый поиск
search-ask = 🔎 Пришлите несколько слов из названия или категории услуги, например <i>лайки инстаграм</i>.
search-found = 🔎 Найдено по запросу «{ $query }»: { $count }. Цены за 1000; номер — это ID услуги.
search-nothing = 🔎 По запросу «{ $query }» ничего не найдено. Попробуйте другие слова или меньше слов.
search-result-button = #{ $id } { $name } · { $price }
search-service-gone = Эта услуга больше недоступна. Вот меню.
service-card-id = 🆔 ID услуги: <code>{ $id }</code> (для /mass)
inline-price = { $price } за 1000
inline-message =
    <b>{ $name }</b>
    { $category } · { $price } за 1000 · ID { $id }
inline-open-button = 🛒 Открыть в магазине
inline-nothing = Ничего не найдено — открыть магазин

## Массовые заказы

mass-ask =
    📋 <b>Массовый заказ</b>: пришлите по одному заказу в строке в виде
    <code>ID услуги | ссылка | количество</code>
    например <code>12 | https://instagram.com/p/abc | 1000</code>

    ID услуги указан в её карточке и в результатах поиска. До 100 строк; обычные услуги и пакеты (для пакета количество можно не писать). Комментарии и опросы заказываются по одному.
mass-empty = ⚠️ В сообщении нет строк с заказами.
mass-too-many = ⚠️ Не больше { $max } строк за раз (вы прислали { $count }). Разделите их на несколько массовых заказов.
mass-too-long = ⚠️ Сообщение слишком длинное: не больше { $max } строк за раз.
mass-reason-format = напишите в виде «ID услуги | ссылка | количество»
mass-reason-unknown-service = услуги { $service_id } в магазине нет
mass-reason-type = «{ $service }» требует больше, чем количество: закажите её отдельно
mass-reason-link = ссылка неверна
mass-reason-quantity = количество — целое число от { $min } до { $max }
mass-card-title = 📋 <b>Массовый заказ</b> — готово: { $valid }, с ошибками: { $invalid }
mass-line-ok = ✅ { $number }. #{ $id } { $service } · { $quantity } шт. · <b>{ $price }</b>
mass-line-bad = ❌ { $number }. { $reason }
mass-more-lines = … и ещё строк: { $count }
mass-card-total = Итого: <b>{ $total }</b> · ваш баланс: { $balance }
mass-card-short = ⚠️ На балансе не хватает <b>{ $missing }</b>: строки оформляются по порядку, пока хватает средств.
mass-card-nothing = Заказывать нечего: исправьте строки и пришлите их снова (/mass).
mass-press-confirm = Нажмите «Подтвердить» или «Отмена» в карточке массового заказа.
mass-confirmation-gone = Этот массовый заказ уже подтверждён или устарел.
mass-cancelled = ✖️ Массовый заказ отменён. Ничего не списано.
mass-placing = ⏳ Оформляем { $count ->
    [one] { $count } заказ
    [few] { $count } заказа
    [many] { $count } заказов
   *[other] { $count } заказа
}…
mass-summary-title = 📋 <b>Массовый заказ</b>
mass-summary-total = Списано: <b>{ $charged }</b> · баланс сейчас: { $balance }
mass-outcome-placed = ✅ { $number }. { $service } — заказ #{ $id } оформлен
mass-outcome-unknown = ⏳ { $number }. { $service } — заказ #{ $id } проверяется; мы напишем вам
mass-outcome-already = ☑️ { $number }. { $service } — уже оформлен
mass-outcome-refused = ❌ { $number }. { $service } — не оформлен, ничего не списано: { $reason }
mass-outcome-no-balance = недостаточно средств на балансе
mass-outcome-panel-down = поставщик недоступен
mass-outcome-discount-used = скидка уже использована в другом заказе
