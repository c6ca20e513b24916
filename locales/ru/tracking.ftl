## Уведомления о статусе заказов и инструменты администратора для заказов в неизвестном состоянии

button-open-order = 📦 Открыть заказ
notify-order-status = 📦 Заказ #{ NUMBER($id, useGrouping: 0) } ({ $service }) теперь: <b>{ $status }</b>.
notify-start-count = Начальное значение: { $start_count }
notify-remains = Осталось: { $remains }
notify-refund = 💰 { $amount } возвращено на ваш баланс за невыполненную часть.
notify-refill-status = ♻️ Докрутка заказа #{ NUMBER($id, useGrouping: 0) } ({ $service }): <b>{ $status }</b>.
notify-order-confirmed = ✅ Хорошие новости: заказ #{ NUMBER($id, useGrouping: 0) } ({ $service }) принят поставщиком и уже выполняется.
notify-order-not-placed = ❌ Заказ #{ NUMBER($id, useGrouping: 0) } ({ $service }) не удалось разместить. { $amount } возвращено на ваш баланс.
refill-status-pending = в очереди
refill-status-in-progress = выполняется
refill-status-completed = выполнена
refill-status-rejected = отклонена

admin-unknown-none = ✅ Нет заказов, ожидающих решения.
admin-unknown-title = ⚠️ <b>{ $count ->
    [one] { $count } заказ ждёт
    [few] { $count } заказа ждут
    [many] { $count } заказов ждут
   *[other] { $count } заказа ждут
} решения</b> — проверьте каждый в панели, затем <code>/settle заказ id_в_панели</code> или <code>/settle заказ failed</code>.
admin-unknown-line =
    <b>#{ NUMBER($order_id, useGrouping: 0) }</b> · пользователь <code>{ NUMBER($user_id, useGrouping: 0) }</code> · { $created } UTC
    Услуга { NUMBER($service_id, useGrouping: 0) }: { $service }
    Ссылка: { $link } · Количество: { $quantity } · Оплачено: { $price }
    Причина: { $detail }
admin-settle-usage = Использование: <code>/settle id_заказа id_в_панели</code>, если заказ есть в панели, куда он ушёл (<code>/settle id_заказа панель:id_в_панели</code>, если в другой), или <code>/settle id_заказа failed</code>, чтобы вернуть деньги.
admin-order-not-found = Заказа #{ NUMBER($order_id, useGrouping: 0) } нет.
admin-settle-not-unknown = Заказ #{ NUMBER($order_id, useGrouping: 0) } не ждёт решения (его статус: { $status }).
admin-settle-duplicate = Заказ панели { $upstream_id } уже связан с другим заказом.
admin-settle-panel-unknown = Панель не знает заказ { $upstream_id } ({ $detail }): проверьте номер в панели или, если заказа там нет, выполните <code>/settle { NUMBER($order_id, useGrouping: 0) } failed</code>.
admin-settle-panel-unreachable = Не удалось связаться с панелью, чтобы проверить заказ { $upstream_id }. Ничего не изменено; попробуйте чуть позже.
admin-settled-placed = ✅ Заказ #{ NUMBER($order_id, useGrouping: 0) } связан с заказом панели { $upstream_id } и будет отслеживаться. Клиент уведомлён.
admin-settled-failed = ✅ Заказ #{ NUMBER($order_id, useGrouping: 0) } отмечен как неразмещённый, { $amount } возвращено. Клиент уведомлён.
