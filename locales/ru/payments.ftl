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
paysupport-title =
    💬 <b>Оплата и возвраты</b>

    Заказы оплачиваются с вашего баланса здесь, а пополнить его можно командой /topup одним из способов:
paysupport-stars = ⭐ <b>Звёзды Telegram</b>: зачисляются сразу. Неизрасходованное пополнение звёздами можно вернуть звёздами: напишите { $contact } и приложите код чека из сообщения об оплате.
paysupport-cryptopay = 💎 <b>Crypto Pay</b> (@CryptoBot): оплатите счёт в течение { $minutes } мин любой из его монет; баланс пополнится в валюте магазина, как только Crypto Pay сообщит об оплате. Если оплаченный счёт не зачислен или нужен возврат, напишите { $contact } и укажите номер счёта.
paysupport-manual = 🏦 <b>Банковский перевод</b>: пришлите подтверждение перевода в течение { $minutes } мин после создания заявки; администратор проверит его и пополнит баланс или объяснит, почему нет. С вопросами о заявке или о возврате пишите { $contact }, указав её номер.
paysupport-spent = Деньги, уже потраченные на заказы, не возвращаются; если заказ выполнен не полностью, невыполненная часть автоматически возвращается на баланс.
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
admin-refund-referral-taken = Реферальный бонус, который этот платёж принёс пользователю <code>{ $referrer }</code>, { $bonus }, списан обратно.
admin-refund-referral-partly = Реферальный бонус, который этот платёж принёс пользователю <code>{ $referrer }</code>, — { $bonus }: списано обратно { $taken }; остальные { $kept } он уже потратил, они остаются у него (баланс не уходит в минус).

## Способы оплаты

rail-stars = ⭐ Звёзды Telegram
rail-cryptopay = 💎 Криптовалюта (Crypto Pay)
rail-manual = 🏦 Банковский перевод
rail-unknown = способ { $rail }
button-top-up-rails = 💰 Пополнить
balance-how-to-top-up-rails = Пополните баланс ниже любым из способов, которые принимает магазин. Ваш id для владельца магазина: <code>{ NUMBER($user_id, useGrouping: 0) }</code>.
topup-rails =
    💰 <b>Пополнение баланса</b>
    Выберите способ оплаты. Сумма — от { $minimum } до { $maximum }.
topup-rail-off = Этот способ оплаты больше недоступен. Выберите другой командой /topup.
topup-credited =
    ✅ <b>Оплата получена</b>
    +{ $amount } ({ $rail }) зачислено на баланс.
    Баланс сейчас: <b>{ $balance }</b>
    Пополнение №{ $id }
topup-expired = ⌛ Счёт №{ $id } на { $amount } ({ $rail }) истёк неоплаченным. Ничего не списано; создайте новый командой /topup, когда будет удобно.
topup-manual-expired = ⌛ Заявка №{ $id } на { $amount } ({ $rail }) истекла: подтверждение перевода не пришло вовремя. Ничего не списано. Если вы уже перевели деньги, создайте новую заявку командой /topup и пришлите подтверждение в ней.
topup-rejected =
    ❌ Ваша заявка на пополнение №{ $id } на { $amount } отклонена.
    Причина: { $reason }
    Если это ошибка, напишите владельцу магазина.
topup-not-paid = Пополнение №{ $id } на { $amount } ({ $rail }) не оплачено.
ledger-topup-cryptopay = Пополнение криптовалютой (Crypto Pay)
ledger-topup-manual = Пополнение переводом, заявка №{ NUMBER($id, useGrouping: 0) }

topup-pay-link =
    💳 <b>Пополнение №{ $id }</b>: { $amount } ({ $rail })
    Оплатите кнопкой ниже; баланс пополнится, как только придёт платёж.

topup-choose-rail =
    💳 <b>{ $rail }</b>
    Выберите сумму или введите свою — от { $minimum } до { $maximum }.

## Crypto Pay

topup-choose-cryptopay =
    💎 <b>Оплата криптовалютой</b> в @CryptoBot: { $assets }.
    Выберите сумму или введите свою — от { $minimum } до { $maximum }.
cryptopay-invoice =
    💎 <b>Счёт №{ $id }</b>: { $amount }
    Оплатите его в @CryptoBot любой из валют: { $assets }. Счёт действует { $minutes } мин.; баланс пополнится сразу после оплаты.
cryptopay-button-pay = 💎 Оплатить { $amount }
cryptopay-refused = ⚠️ Оплата криптовалютой в этом магазине сейчас недоступна. Выберите, пожалуйста, другой способ оплаты.
cryptopay-unavailable = ⚠️ Оплата криптовалютой сейчас недоступна: Crypto Pay не отвечает. Попробуйте через несколько минут или выберите другой способ оплаты.

## Переводы вручную

topup-choose-manual =
    🏦 <b>Оплата банковским переводом</b>
    Выберите сумму или введите свою — от { $minimum } до { $maximum }. Затем вы получите реквизиты и пришлёте подтверждение перевода.
manual-instructions =
    🏦 <b>Заявка №{ $id }</b>: переведите <b>{ $amount }</b>

    { $instructions }

    После перевода пришлите сюда скриншот, документ или текст с данными платежа. Администратор проверит его и пополнит баланс. Без подтверждения заявка истечёт через { $minutes } мин.
manual-proof-kind = ⚠️ Пришлите подтверждение перевода фотографией, документом или текстом.
manual-proof-received = 📨 Спасибо! Заявка №{ $id } на { $amount } отправлена в магазин. Мы напишем, как только её проверят.
manual-request-gone = Эта заявка больше не ждёт подтверждения. Создайте новую командой /topup.
manual-not-found = Заявки на пополнение №{ $id } нет.
manual-not-open = Заявка №{ $id } не ждёт решения.
manual-already-approved = Заявку №{ $id } уже одобрил(а) { $admin }.
manual-already-rejected = Заявку №{ $id } уже отклонил(а) { $admin }.
manual-review-card =
    🏦 <b>Заявка на пополнение №{ $id }</b>
    От: { $user } (<code>{ NUMBER($user_id, useGrouping: 0) }</code>)
    Сумма: <b>{ $amount }</b>
    Отправлена: { $date }
    Подтверждение — в сообщении выше.
manual-button-approve = ✅ Одобрить
manual-button-reject = ❌ Отклонить
manual-approved-by = ✅ Одобрил(а) { $admin }: зачислено { $amount }.
manual-rejected-by = ❌ Отклонил(а) { $admin }. Причина: { $reason }
manual-approve-done = Одобрено: клиенту зачислено { $amount }.
manual-reject-ask-reason = ❌ Почему заявка №{ $id } ({ $amount }) отклонена? Пришлите причину — клиент её прочитает.
manual-reject-reason-text = Пришлите причину текстовым сообщением.
manual-reject-done = Заявка №{ $id } отклонена; клиенту сообщили причину.
manual-pending-title = 🏦 <b>Заявки на пополнение, ждущие решения</b> ({ $count })
manual-pending-line = Заявка №{ $id }: { $user } · <b>{ $amount }</b> · { $date }
manual-pending-empty = Нет заявок на пополнение, ждущих решения.
manual-button-approve-id = ✅ Одобрить №{ $id }
manual-button-reject-id = ❌ Отклонить №{ $id }

## /stats

stats-topups-title = 💳 <b>Пополнения по способам оплаты</b>
stats-topups-today = Сегодня: { $by_rail }
stats-topups-week = 7 дней: { $by_rail }
stats-topups-all-time = Всё время: { $by_rail }
stats-topups-rail = { $rail }: { $amount } (платежей: { $count })
