## Пополнение баланса Telegram Stars

command-topup = Пополнить баланс звёздами Telegram
command-paysupport = Оплата и возвраты
button-top-up-stars = ⭐ Пополнить звёздами
button-history = 📜 История
topup-button-other = ✏️ Другая сумма
topup-choose =
    ⭐ <b>Пополнение звёздами Telegram</b>
    { $unit } = { $rate } ⭐. Выберите сумму или введите свою — от { $minimum } до { $maximum }.
topup-ask-amount = ✏️ На сколько пополнить? Пришлите сумму, например <code>15</code> или <code>7.50</code>.
topup-amount-invalid = ⚠️ Пришлите сумму числом, например <code>15</code> или <code>7.50</code>, от { $minimum } до { $maximum }.
topup-out-of-range = ⚠️ Сумма должна быть от { $minimum } до { $maximum }.
topup-over-stars-limit = ⚠️ Telegram принимает не больше { $limit } звёзд за один платёж, а эта сумма — { $stars } звёзд. Пополните баланс на меньшую сумму.
topup-invoice-title = Пополнение баланса: { $amount }
topup-invoice-description = { $amount } будет зачислено на ваш баланс в магазине за { $stars } звёзд Telegram.
topup-invoice-label = Пополнение { $amount }
topup-receipt =
    ✅ <b>Оплата получена</b>
    +{ $amount } ({ $stars } ⭐) зачислено на баланс.
    Баланс сейчас: <b>{ $balance }</b>
    Чек: <code>{ $charge_id }</code>
topup-invalid-invoice = Этот счёт больше не действителен. Создайте новый командой /topup.
topup-start-first = Сначала запустите бота командой /start.
topup-refunded-notice = ↩️ Ваш платёж на { $stars } ⭐ возвращён; с баланса списано { $amount }.
paysupport =
    💬 <b>Оплата и возвраты</b>

    Пополнение оплачивается звёздами Telegram и сразу зачисляется на ваш баланс здесь. Неизрасходованное пополнение можно вернуть звёздами: напишите { $contact } и приложите код чека из сообщения об оплате.

    Деньги, уже потраченные на заказы, звёздами не возвращаются; если заказ выполнен не полностью, невыполненная часть автоматически возвращается на баланс.
paysupport-contact-admin = владельцу магазина
history-title = 📜 <b>История баланса</b> ({ $count })
history-empty = Движений по балансу пока нет.

## Администратору

admin-refund-usage = Использование: <code>/refund код_чека</code> — код чека платежа звёздами.
admin-refund-not-found = Платежа с таким кодом чека нет.
admin-refund-already = Этот платёж уже возвращён.
admin-refund-spent = Пополнение уже потрачено: на балансе только { $balance }. Ничего не возвращено.
admin-refund-refused = Telegram отказал в возврате: { $reason }. Баланс не изменился.
admin-refund-retry = Telegram не подтвердил возврат ({ $reason }). Сумма удержана; отправьте тот же /refund ещё раз, чтобы завершить.
admin-refund-in-progress = Возврат этого платежа уже выполняется; отправьте тот же /refund чуть позже, чтобы узнать результат.
admin-refund-done = ✅ Возвращено. С баланса пользователя списано { $amount }, звёзды вернутся ему.
