## Несколько панелей: /panels, /route и название панели в сообщениях админам

admin-alert-panel = Панель: <b>{ $panel }</b>
admin-alert-panel-refused =
    🔁 <b>Панель не приняла заказ #{ NUMBER($order_id, useGrouping: 0) }</b> ({ $service }, { $price }): { $detail }
    Заказ уходит на следующую панель маршрута. Пополните или проверьте эту панель.
refusal-no-panel = Сейчас ни один поставщик не может принять этот заказ по показанной вам цене.
admin-panel-unknown = Панели «{ $panel }» нет. Панели: { $panels }.

admin-panels-title = 🏭 <b>{ $count ->
    [one] { $count } панель
    [few] { $count } панели
    [many] { $count } панелей
   *[other] { $count } панели
}</b>
admin-panels-line =
    <b>{ $panel }</b>{ $main ->
        [yes] {" "}(основная)
       *[other] {""}
    } · баланс { $balance } · валюта { $currency } · доступна: { $reachable ->
        [yes] да
       *[other] нет
    }
    Активных заказов: { $active } · последняя ошибка: { $error } ({ $error_at })
admin-panels-unreachable = недоступна
admin-panels-left-out = ⚠️ Её валюта не совпадает с валютой магазина ({ $currency }): она ничего не продаёт и не принимает заказы.

admin-route-usage =
    Использование: <code>/route id_услуги</code> — куда идёт услуга,
    <code>/route id_услуги панель:id_услуги_панели[,панель:id_услуги_панели…]</code> — задать панели по порядку,
    <code>/route id_услуги auto</code> — снова сначала самая дешёвая панель.
admin-route-current = Услуга <code>{ NUMBER($service_id, useGrouping: 0) }</code> ({ $mode ->
    [pinned] маршрут задан админом
   *[other] сначала самая дешёвая
}): { $route }
admin-route-set = ✅ Маршрут услуги { NUMBER($service_id, useGrouping: 0) } задан.
admin-route-auto = ✅ Услуга { NUMBER($service_id, useGrouping: 0) } снова идёт сначала на самую дешёвую панель.
admin-route-panel-twice = В маршруте каждая панель указывается один раз.
admin-route-no-service = У панели { $panel } нет услуги { NUMBER($id, useGrouping: 0) } в каталоге (попробуйте /sync).
admin-route-mixed-types = Услуги одного маршрута должны быть одного типа.
admin-catalog-panels = {"   "}панели: { $panels }
admin-catalog-route-help = Номера услуг — номера магазина; <code>/route id_услуги</code> показывает, какие услуги панелей её выполняют.
admin-sync-panel-failed = ⚠️ Панель { $panel } не прислала каталог ({ $reason }); её прежний каталог сохранён.

stats-panels-title = 🏭 <b>По панелям</b> (7 дней · всё время)
stats-panel-line = <b>{ $panel }</b>: баланс { $balance } · 7 дней: заказов { $week_orders }, расходы { $week_cost }, прибыль { $week_profit } · всё время: заказов { $orders }, расходы { $cost }, прибыль <b>{ $profit }</b>
