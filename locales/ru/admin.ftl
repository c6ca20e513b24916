## Управление магазином. Номера показываются без разделителей разрядов, чтобы их можно было скопировать.

admin-menu = 🛠 <b>Администрирование</b> — что сделать?
admin-button-menu = ⬅️ Меню админа
admin-button-stats = 📊 Статистика
admin-button-broadcast = 📣 Рассылка
admin-button-unknown = ⏳ Заказы на проверку
admin-button-users = 👤 Пользователи
admin-button-catalog = 🗂 Каталог и цены
admin-button-sync = 🔄 Обновить каталог
admin-users-help =
    <b>Пользователи</b>
    <code>/user id</code> — карточка пользователя
    <code>/addbalance id сумма [причина]</code> — пополнить баланс
    <code>/subbalance id сумма причина</code> — списать с баланса
    <code>/ban id</code>, <code>/unban id</code> — заблокировать или разблокировать
    Пользователь видит свой id на экране «Баланс».

## Пользователи и балансы

admin-user-usage = Использование: <code>/user id_пользователя</code>
admin-user-card =
    👤 <b>Пользователь { NUMBER($user_id, useGrouping: 0) }</b>
    Имя: { $name } ({ $username })
    Язык: { $language }
    Баланс: <b>{ $balance }</b>
    Заказов: { $orders }
    С нами с: { $created } UTC · Был в сети: { $last_seen } UTC
    Заблокирован: { $banned } · Остановил бота: { $blocked }
admin-subbalance-usage = Использование: <code>/subbalance id_пользователя сумма причина</code>, например <code>/subbalance 123456789 5 возврат на карту</code>. Причина обязательна и попадает в журнал операций.
admin-reason-too-long = ⚠️ Причина длиной { $length } символов; уложитесь в { $maximum }: клиент прочитает её в уведомлении и в истории баланса.
admin-subbalance-too-much = На балансе только { $balance }: баланс не может стать отрицательным.
admin-balance-debited = ✅ Списано { $amount } у пользователя { NUMBER($user_id, useGrouping: 0) }. Его баланс: { $balance }.
balance-debited-notice = 💰 С вашего баланса списано { $amount } ({ $reason }). Баланс сейчас: { $balance }.
admin-ban-usage = Использование: <code>/ban id_пользователя</code> или <code>/unban id_пользователя</code>
admin-ban-self = Нельзя заблокировать самого себя.
admin-banned = ⛔ Пользователь { NUMBER($user_id, useGrouping: 0) } заблокирован.
admin-unbanned = ✅ Пользователь { NUMBER($user_id, useGrouping: 0) } разблокирован.

## Каталог и цены

admin-markup-usage =
    <code>/markup 25</code> — наценка на всё, в процентах
    <code>/markup category 12 40</code> — своя наценка для категории
    <code>/markup service 345 10</code> — своя наценка для услуги
    <code>/markup service 345 reset</code> — убрать свою наценку
admin-markup-current = Общая наценка: <b>{ $percent }%</b>
admin-markup-global-set = ✅ Общая наценка теперь <b>{ $percent }%</b>. Цены изменились сразу; уже размещённые заказы сохраняют свою цену.
admin-markup-set = ✅ Наценка для { $scope ->
    [category] категории
   *[service] услуги
} { NUMBER($id, useGrouping: 0) } теперь <b>{ $percent }%</b>.
admin-markup-reset = ✅ Для { $scope ->
    [category] категории
   *[service] услуги
} { NUMBER($id, useGrouping: 0) } снова действует общая наценка.
admin-catalog-not-found = { $scope ->
    [category] Категории
   *[service] Услуги
} { NUMBER($id, useGrouping: 0) } нет.
admin-hide-usage = Использование: <code>/hide category 12</code>, <code>/hide service 345</code>, <code>/show …</code> так же.
admin-hidden = 🙈 { $scope ->
    [category] Категория
   *[service] Услуга
} { NUMBER($id, useGrouping: 0) } скрыта от покупателей.
admin-shown = 👁 { $scope ->
    [category] Категория
   *[service] Услуга
} { NUMBER($id, useGrouping: 0) } снова видна покупателям.
admin-sync-done =
    🔄 <b>Каталог обновлён</b>
    Добавлено: { $added } ({ $added_ids })
    Удалено: { $removed } ({ $removed_ids })
    Изменено: { $changed } ({ $changed_ids })
admin-sync-failed = ❌ Панель не прислала каталог: { $reason }. Оставлен прежний каталог.
admin-catalog-title = 🗂 <b>Каталог</b> — общая наценка { $percent }%
admin-catalog-line = <code>{ NUMBER($id, useGrouping: 0) }</code> · { $name } · услуг: { $count } · скрыта: { $hidden } · наценка: { $markup }
admin-catalog-help = Номер категории используйте в /markup, /hide и /show. Номера услуг — это id услуг в панели.

## Статистика

stats-users = 👥 <b>Пользователи</b>: { $total } (сегодня +{ $today }, за 7 дней +{ $week }) · остановили бота: { $blocked } · заблокированы: { $banned }
stats-orders = 📦 <b>Заказы</b>: активных { $active } · { $by_status }
stats-today = <b>Сегодня</b>: заказов { $orders } · оплачено { $revenue } · себестоимость { $cost } · прибыль <b>{ $profit }</b>
stats-week = <b>7 дней</b>: заказов { $orders } · оплачено { $revenue } · себестоимость { $cost } · прибыль <b>{ $profit }</b>
stats-all-time = <b>За всё время</b>: заказов { $orders } · оплачено { $revenue } · себестоимость { $cost } · прибыль <b>{ $profit }</b>
stats-panel-balance = 🏦 Баланс в панели: <b>{ $balance }</b>
stats-panel-unavailable = сейчас недоступен
admin-alert-panel-balance = 🚨 <b>Мало денег в панели</b>: { $balance } (порог { $threshold }). Пополните панель, чтобы заказы продолжали проходить.

## Рассылки

broadcast-ask-message = 📣 Пришлите сообщение для рассылки: текст, фото, видео, документ — с форматированием и подписью. Оно будет скопировано в точности.
broadcast-cannot-copy = Это сообщение нельзя разослать ({ $reason }). Попробуйте другое.
broadcast-confirm = ☝️ Так его увидят пользователи. Отправить <b>{ $count }</b> пользователям?
broadcast-paid-cost = ⭐ Платная рассылка, до 1000 сообщений в секунду: не больше <b>{ $stars ->
    [one] { $stars } звезды
    [few] { $stars } звёзд
    [many] { $stars } звёзд
   *[other] { $stars } звезды
}</b> с баланса бота (0,1 звезды за сообщение).
broadcast-button-send = 📣 Отправить
broadcast-button-stop = ⏹ Остановить
broadcast-discarded = Рассылка отменена.
broadcast-already-running = Рассылка #{ $id } ещё идёт. Дождитесь окончания или остановите её.
broadcast-already-started = Эта рассылка уже запущена.
broadcast-started = 📣 Рассылка #{ $id } запущена: получателей { $count }.
broadcast-progress =
    📣 <b>Рассылка #{ $id }</b>
    Отправлено: { $sent } · ошибок: { $failed } · остановили бота: { $blocked } · осталось: { $left } из { $total }
    Скорость: { $rate }/с · осталось ≈ { $eta }
broadcast-summary =
    📣 <b>Рассылка #{ $id }: { $status }</b>
    Отправлено: { $sent } · ошибок: { $failed } · остановили бота: { $blocked } · не отправлено: { $left } из { $total }
broadcast-status-done = завершена
broadcast-status-stopped = остановлена
broadcast-stopped = Рассылка остановлена.
broadcast-not-running = Эта рассылка не идёт.

## Баланс меняется один раз на команду

admin-balance-already-done = Эта команда уже выполнена: баланс пользователя { NUMBER($user_id, useGrouping: 0) } изменён один раз и повторно не меняется.
