## Several panels: /panels, /route, and the panel named in admin messages

admin-alert-panel = Panel: <b>{ $panel }</b>
admin-alert-panel-refused =
    🔁 <b>A panel did not take order #{ NUMBER($order_id, useGrouping: 0) }</b> ({ $service }, { $price }): { $detail }
    The order goes to the next panel of its route. Top up or fix this panel.
refusal-no-panel = No supplier can take this order at the price you were shown right now.
admin-panel-unknown = There is no panel called “{ $panel }”. Panels: { $panels }.

admin-panels-title = 🏭 <b>{ $count ->
    [one] { $count } panel
   *[other] { $count } panels
}</b>
admin-panels-line =
    <b>{ $panel }</b>{ $main ->
        [yes] {" "}(main)
       *[other] {""}
    } · balance { $balance } · currency { $currency } · reachable: { $reachable }
    Active orders: { $active } · last error: { $error } ({ $error_at })
admin-panels-unreachable = not reachable
admin-panels-left-out = ⚠️ Its currency is not the shop's ({ $currency }): it sells nothing and takes no orders.

admin-route-usage =
    Usage: <code>/route service_id</code> shows where a service goes,
    <code>/route service_id panel:panel_service_id[,panel:panel_service_id…]</code> sets its panels in order,
    <code>/route service_id auto</code> goes back to the cheapest panel first.
admin-route-current = Service <code>{ NUMBER($service_id, useGrouping: 0) }</code> ({ $mode ->
    [pinned] route set by an admin
   *[other] cheapest first
}): { $route }
admin-route-set = ✅ The route of service { NUMBER($service_id, useGrouping: 0) } is set.
admin-route-auto = ✅ Service { NUMBER($service_id, useGrouping: 0) } goes to the cheapest panel first again.
admin-route-panel-twice = A route names each panel once.
admin-route-no-service = Panel { $panel } has no service { NUMBER($id, useGrouping: 0) } in the catalog (try /sync).
admin-route-mixed-types = The services of one route must be of the same type.
admin-catalog-panels = {"   "}panels: { $panels }
admin-catalog-route-help = Service numbers are the shop's; <code>/route service_id</code> shows which panel services serve one.
admin-sync-panel-failed = ⚠️ Panel { $panel } did not send its catalog ({ $reason }); its previous catalog is kept.

stats-panels-title = 🏭 <b>By panel</b> (7 days · all time)
stats-panel-line = <b>{ $panel }</b>: balance { $balance } · 7 days: { $week_orders } orders, cost { $week_cost }, profit { $week_profit } · all time: { $orders } orders, cost { $cost }, profit <b>{ $profit }</b>
