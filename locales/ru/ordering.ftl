## Drip-feed: a service the panel can deliver in runs offers it on the confirmation card

button-dripfeed = 💧 Частями: доставка в несколько запусков
order-ask-runs =
    💧 <b>Доставка частями</b>: вместо одного раза ваши { $quantity } доставляются в несколько запусков, с паузой между ними. Каждый запуск доставляет { $quantity }, оплачивается каждый запуск.

    Сколько запусков? Отправьте целое число до <b>{ $maximum }</b> или 1, чтобы доставить всё сразу.
order-ask-interval = ⏱ Сколько минут между запусками? Отправьте целое число от 1 до <b>{ $maximum }</b> (24 часа).
order-runs-invalid = ⚠️ Отправьте число запусков: целое число от 1 до { $maximum } (1 — доставить всё сразу).
order-interval-invalid = ⚠️ Отправьте число минут между запусками: целое число от { $minimum } до { $maximum }.
# The "Quantity" of a drip-feed order on the confirmation card and the order card.
dripfeed-quantity = { $quantity } × { $runs } { $runs ->
    [one] запуск
    [few] запуска
    [many] запусков
   *[other] запуска
}, каждые { $interval } мин (всего { $total })

## Order again, from an order's card

button-order-again = 🔁 Заказать снова
reorder-service-gone = 🔁 Заказ #{ NUMBER($id, useGrouping: 0) } нельзя повторить: этой услуги больше нет. Выберите другую в разделе 🛒 Новый заказ.
reorder-limits-changed = { $limit ->
    [minimum] 🔁 Минимальное количество для этой услуги теперь <b>{ $minimum }</b> (в прошлом заказе было { $previous }).
   *[maximum] 🔁 Максимальное количество для этой услуги теперь <b>{ $maximum }</b> (в прошлом заказе было { $previous }).
}
reorder-answer-changed = 🔁 Услуга изменилась после вашего прошлого заказа, поэтому один ответ нужно дать заново.
reorder-dripfeed-unavailable = 🔁 Эта услуга больше не доставляет частями, поэтому заказ нельзя повторить как был. Откройте услугу в разделе 🛒 Новый заказ, чтобы заказать доставку сразу.
