# Ids (orders, users, services) are written NUMBER($id, useGrouping: 0) so that they show as
# 123456789, not 123,456,789: people copy them, e.g. into /addbalance.

## Start and menu

welcome =
    👋 Здравствуйте, <b>{ $name }</b>!

    Здесь можно заказать подписчиков, лайки, просмотры и многое другое для ваших соцсетей.
    Выберите услугу, пришлите ссылку и оплатите с баланса — когда статус заказа изменится, мы сразу сообщим здесь.
menu-title = 🏠 <b>Главное меню</b> — что хотите сделать?
menu-new-order = 🛒 Новый заказ
menu-my-orders = 📦 Мои заказы
menu-balance = 💰 Баланс
menu-language = 🌐 Язык
menu-help = ❓ Помощь
help =
    <b>Как это работает</b>

    1. 🛒 <b>Новый заказ</b>: выберите категорию и услугу.
    2. Пришлите ссылку на пост, профиль или канал.
    3. Укажите нужное количество (допустимый диапазон мы покажем).
    4. Проверьте цену и нажмите <b>Подтвердить</b> — сумма спишется с баланса.

    🔁 <b>Заказать снова</b> на карточке заказа (📦 Мои заказы) повторяет его по сегодняшней цене. Если услуга это позволяет, кнопка 💧 <b>Частями</b> на карточке подтверждения доставит заказ в несколько запусков, с паузой между ними.

    Когда статус заказа меняется, вы получаете сообщение здесь. Если заказ выполнен частично или отменён, деньги за невыполненную часть автоматически вернутся на баланс.

    Команды: /order, /orders, /balance, /search, /promo, /invite, /mass, /language, /cancel, /menu.
flow-cancelled = ✖️ Отменено. Деньги не списаны.
flow-nothing-to-cancel = Отменять нечего. Вот меню.
banned = ⛔ Ваш доступ к магазину приостановлен. Если это ошибка, напишите владельцу магазина.

## Buttons

button-back = ⬅️ Назад
button-main-menu = 🏠 Главное меню
button-previous = ◀️
button-next = ▶️
page-indicator = { $page }/{ $pages }
button-order-this = 🛒 Заказать
button-cancel = ✖️ Отмена
button-confirm = ✅ Подтвердить и оплатить
button-top-up = 💰 Как пополнить
button-refresh = 🔄 Обновить
button-refill = ♻️ Докрутка
button-cancel-order = 🛑 Отменить заказ
button-outdated = Эта кнопка устарела. Откройте меню заново командой /menu.

## Bot commands (Telegram's command menu)

command-start = Запуск и главное меню
command-order = Оформить новый заказ
command-orders = Мои заказы
command-balance = Мой баланс
command-language = Сменить язык
command-help = Как это работает
command-cancel = Отменить текущее действие

## Catalog

catalog-categories = 🛒 <b>Выберите категорию</b>
catalog-empty = Каталог сейчас пуст. Загляните чуть позже.
catalog-services = <b>{ $category }</b> — выберите услугу (цены за 1000):
catalog-category-gone = Эта категория больше недоступна.
service-button = { $name } · { $price }
service-unavailable = К сожалению, эта услуга больше недоступна. Выберите другую.
service-card =
    <b>{ $name }</b>
    Категория: { $category }
    Тип: { $type }
    Цена: <b>{ $price }</b> { $per_package ->
        [yes] за пакет
       *[no] за 1000
    }
    Количество: { $min } – { $max }
    Докрутка: { $refill } · Отмена: { $cancel }

    { $description }

    { $howto }
service-type-default = Обычный
service-type-package = Пакет
service-type-comments = Свои комментарии
service-type-poll = Голоса в опросе
service-howto-default = ℹ️ Пришлите ссылку, а затем нужное количество.
service-howto-package = ℹ️ Пришлите ссылку — размер и цена пакета фиксированные.
service-howto-comments = ℹ️ Пришлите ссылку, а затем комментарии, по одному в строке. Каждая строка — один комментарий.
service-howto-poll = ℹ️ Пришлите ссылку на опрос, количество голосов, а затем номер варианта ответа, за который голосовать.
word-yes = да
word-no = нет
word-unknown = —

## Order flow

order-ask-link = 🔗 <b>{ $service }</b>

    Пришлите ссылку (она должна начинаться с http:// или https://).
order-ask-link-telegram = 🔗 <b>{ $service }</b>

    Пришлите ссылку на канал, группу или пост: https://t.me/…, t.me/… или @username.
order-ask-quantity = 🔢 Сколько нужно? Отправьте целое число от <b>{ $min }</b> до <b>{ $max }</b>.
    Цена: { $price } за 1000.
order-ask-comments = 💬 Пришлите комментарии, по одному в строке. Строк должно быть от <b>{ $min }</b> до <b>{ $max }</b>.
order-ask-answer = 🗳 За какой вариант ответа голосовать? Пришлите его номер (1 — первый вариант).
order-link-invalid = { $telegram ->
    [True] ⚠️ Это не похоже на ссылку Telegram. Пришлите https://t.me/…, t.me/… или @username.
   *[other] ⚠️ Это не похоже на ссылку. Пришлите полный адрес, начиная с http:// или https://.
}
order-quantity-invalid = ⚠️ Пришлите целое число от { $minimum } до { $maximum }, только цифры.
order-comments-invalid = ⚠️ Комментариев должно быть от { $minimum } до { $maximum }, по одному в строке (вы прислали { $count ->
    [one] { $count } строку
    [few] { $count } строки
    [many] { $count } строк
   *[other] { $count } строки
}). Каждый комментарий — не длиннее 500 символов.
order-answer-invalid = ⚠️ Пришлите номер ответа: целое число от 1 до { $maximum }.
order-send-text = ✍️ Пожалуйста, отправьте это текстовым сообщением.
order-press-confirm = Нажмите <b>Подтвердить</b> или <b>Отмена</b> в карточке выше.
confirm-card =
    🧾 <b>Проверьте заказ</b>

    Услуга: <b>{ $service }</b>
    Ссылка: { $link }
    Количество: { $quantity }
    Цена: <b>{ $price }</b>

    Баланс сейчас: { $balance }
    Баланс после оплаты: { $after }
confirm-not-enough = ⚠️ На балансе не хватает <b>{ $missing }</b>. Сначала пополните баланс, затем нажмите «Подтвердить».
order-not-enough-balance =
    ⚠️ Недостаточно средств: на балансе { $balance }, нужно ещё <b>{ $missing }</b>.
    Пополните баланс и снова нажмите «Подтвердить».
order-already-placed = Этот заказ уже оформлен.
order-confirmation-expired = Это подтверждение устарело. Оформите заказ заново из меню.
order-cancelled-before-payment = ✖️ Заказ отменён. Деньги не списаны.
order-already-being-placed = ⏳ Этот заказ уже оплачен и оформляется: результат придёт через мгновение.
order-placed = ✅ <b>Заказ #{ NUMBER($id, useGrouping: 0) } оформлен!</b> Мы напишем, когда его статус изменится.
order-refused =
    ❌ <b>Не удалось разместить заказ.</b>
    { $reason }
    Сумма { $price } возвращена на ваш баланс.
order-outcome-unknown =
    ⏳ <b>Заказ #{ NUMBER($order_id, useGrouping: 0) } проверяется.</b>
    Поставщик не ответил вовремя, поэтому мы проверяем, принят ли заказ. Мы напишем, как только узнаем; если заказ не принят, деньги вернутся на баланс.
panel-unavailable =
    ❌ Поставщик сейчас недоступен, поэтому заказ не размещён.
    Сумма { $price } возвращена на ваш баланс. Попробуйте ещё раз через несколько минут.
refusal-supplier-funds = Поставщик сейчас не принимает заказы на эту услугу.
refusal-active-order = По этой ссылке уже есть активный заказ. Дождитесь его выполнения.
refusal-bad-link = Поставщик не принял эту ссылку. Проверьте, что она верная и открыта для всех.
refusal-quantity = Поставщик не принял такое количество.
refusal-service = Эта услуга больше недоступна.
refusal-supplier-setup = Магазин сейчас настраивается. Попробуйте позже.
refusal-other = Поставщик отклонил заказ.

## My orders

orders-title = 📦 <b>Ваши заказы</b> ({ $count })
orders-empty = У вас пока нет заказов. Нажмите 🛒 Новый заказ, чтобы оформить первый.
orders-button = #{ NUMBER($id, useGrouping: 0) } · { $service } · { $status }
order-card =
    📦 <b>Заказ #{ NUMBER($id, useGrouping: 0) }</b>

    Услуга: { $service }
    Ссылка: { $link }
    Количество: { $quantity }
    Списано: { $charge }
    Статус: <b>{ $status }</b>
    Начальное значение: { $start_count }
    Осталось: { $remains }
    Создан: { $created } UTC
    Обновлён: { $updated } UTC
order-not-found = Заказ не найден.
order-refreshed = Статус обновлён.
panel-busy = Поставщик сейчас не отвечает. Попробуйте ещё раз через минуту.
order-refill-not-available = Для этого заказа докрутка недоступна.
order-refill-requested = ♻️ Запрос на докрутку отправлен. Будем держать вас в курсе.
order-refill-refused = Поставщик отклонил докрутку: { $reason }
order-cancel-not-available = Этот заказ нельзя отменить.
order-cancel-requested = 🛑 Запрос на отмену отправлен. Если поставщик отменит заказ, деньги вернутся на баланс.
order-cancel-refused = Поставщик отказался отменить заказ: { $reason }
status-placing = размещается
status-unknown = проверяется
status-failed = не размещён (деньги возвращены)
status-pending = в очереди
status-in-progress = выполняется
status-completed = выполнен
status-partial = частично выполнен
status-canceled = отменён

## Balance

balance-title = 💰 Ваш баланс: <b>{ $balance }</b>
balance-recent = <b>Последние операции</b>
ledger-line = { $date } · { $amount } · { $what }
ledger-order-charge = Заказ №{ NUMBER($order_id, useGrouping: 0) }
ledger-order-refund = Возврат за заказ №{ NUMBER($order_id, useGrouping: 0) }
ledger-topup-stars = Пополнение звёздами Telegram
ledger-topup-refund-stars = Возврат пополнения звёздами Telegram
ledger-topup-refund-undone = Возврат звёзд не прошёл: сумма вернулась на баланс
ledger-admin-credit = Начислено магазином
ledger-admin-credit-reason = Начислено магазином: { $reason }
ledger-admin-debit = Списано магазином
ledger-admin-debit-reason = Списано магазином: { $reason }
ledger-other = Изменение баланса
balance-how-to-top-up = Пополните баланс ⭐ звёздами Telegram кнопкой ниже. Ваш ID для владельца магазина: <code>{ NUMBER($user_id, useGrouping: 0) }</code>.
balance-credited-notice = 💰 Ваш баланс пополнен на <b>{ $amount }</b>. Сейчас на балансе: { $balance }.

## Language

language-choose = 🌐 Выберите язык:
language-saved = Язык сохранён.

## Fallbacks and errors

fallback-text = Не получилось разобрать сообщение. Пожалуйста, воспользуйтесь меню ниже.
fallback-unknown-command = Такой команды нет. Вот меню.
fallback-unsupported = Здесь я понимаю только текстовые сообщения. Пожалуйста, воспользуйтесь меню ниже.
error-generic = 😕 У нас что-то пошло не так. Попробуйте ещё раз; если ошибка повторяется, напишите владельцу магазина.

## Admin

admin-addbalance-usage = Использование: <code>/addbalance user_id сумма [причина]</code>, например <code>/addbalance 123456789 10.50</code>
admin-user-not-found = Пользователь с ID { NUMBER($user_id, useGrouping: 0) } ещё не запускал бота.
admin-balance-credited = ✅ Пользователю { NUMBER($user_id, useGrouping: 0) } зачислено { $amount }. Его баланс: { $balance }.
admin-alert-unknown =
    ⚠️ <b>Заказ #{ NUMBER($order_id, useGrouping: 0) } нужно проверить</b>
    Ответ панели на запрос заказа потерян ({ $detail }), поэтому неизвестно, создан ли заказ на панели.
    Пользователь: <code>{ NUMBER($user_id, useGrouping: 0) }</code> · Услуга { NUMBER($service_id, useGrouping: 0) }: { $service }
    Ссылка: { $link } · Количество: { $quantity } · Оплачено: { $price }
    Проверьте панель и закройте вопрос командой /settle.
admin-alert-missing =
    ⚠️ <b>Панель не знает заказ №{ NUMBER($order_id, useGrouping: 0) }</b> ({ $detail }).
    Пользователь: <code>{ NUMBER($user_id, useGrouping: 0) }</code> · Услуга { NUMBER($service_id, useGrouping: 0) }: { $service }
    Ссылка: { $link } · Количество: { $quantity } · Оплачено: { $price }
    Бот спрашивает о нём в каждом круге проверки; если панель так и не узнает его за отведённое время (UNKNOWN_ORDER_GRACE_HOURS), заказ появится в /unknown, чтобы вы его решили.
admin-alert-supplier-funds =
    🚨 <b>На балансе панели не хватает денег</b>: заказ #{ NUMBER($order_id, useGrouping: 0) } ({ $service }, { $price }) отклонён: { $detail }
    Деньги пользователю возвращены. Пополните счёт на панели.
admin-alert-supplier-setup =
    🚨 <b>Панель не приняла API-ключ</b> для заказа #{ NUMBER($order_id, useGrouping: 0) }: { $detail }
    Деньги пользователю возвращены. Проверьте SMM_API_KEY.
