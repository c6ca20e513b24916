## Order status notifications and the admin's tools for orders in an unknown state

button-open-order = 📦 Open order
notify-order-status = 📦 Order #{ NUMBER($id, useGrouping: 0) } ({ $service }) is now <b>{ $status }</b>.
notify-start-count = Start count: { $start_count }
notify-remains = Remaining: { $remains }
notify-refund = 💰 { $amount } returned to your balance for the undelivered part.
notify-refill-status = ♻️ Refill of order #{ NUMBER($id, useGrouping: 0) } ({ $service }): <b>{ $status }</b>.
notify-order-confirmed = ✅ Good news: order #{ NUMBER($id, useGrouping: 0) } ({ $service }) was accepted by the supplier and is now being processed.
notify-order-not-placed = ❌ Order #{ NUMBER($id, useGrouping: 0) } ({ $service }) could not be placed. { $amount } has been returned to your balance.
refill-status-pending = queued
refill-status-in-progress = in progress
refill-status-completed = completed
refill-status-rejected = rejected

admin-unknown-none = ✅ No orders are waiting to be settled.
admin-unknown-title = ⚠️ <b>{ $count ->
    [one] { $count } order needs
   *[other] { $count } orders need
} settling</b> — check each on the panel, then <code>/settle order panel_order_id</code> or <code>/settle order failed</code>.
admin-unknown-line =
    <b>#{ NUMBER($order_id, useGrouping: 0) }</b> · user <code>{ NUMBER($user_id, useGrouping: 0) }</code> · { $created } UTC
    Service { NUMBER($service_id, useGrouping: 0) }: { $service }
    Link: { $link } · Quantity: { $quantity } · Paid: { $price }
    Why: { $detail }
admin-settle-usage = Usage: <code>/settle order_id panel_order_id</code> if the order exists on the panel it was sent to (<code>/settle order_id panel:panel_order_id</code> if on another), or <code>/settle order_id failed</code> to refund it.
admin-order-not-found = There is no order #{ NUMBER($order_id, useGrouping: 0) }.
admin-settle-not-unknown = Order #{ NUMBER($order_id, useGrouping: 0) } is not waiting to be settled (its status is { $status }).
admin-settle-duplicate = Another order is already linked to panel order { $upstream_id }.
admin-settle-panel-unknown = The panel does not know order { $upstream_id } ({ $detail }): check the id on the panel, or settle with <code>/settle { NUMBER($order_id, useGrouping: 0) } failed</code> if the order is not there.
admin-settle-panel-unreachable = Could not reach the panel to check order { $upstream_id }. Nothing was changed; try again in a moment.
admin-settled-placed = ✅ Order #{ NUMBER($order_id, useGrouping: 0) } is linked to panel order { $upstream_id } and will be tracked. The customer was told.
admin-settled-failed = ✅ Order #{ NUMBER($order_id, useGrouping: 0) } was marked as not placed and { $amount } was refunded. The customer was told.
