## The owner's controls. Ids are shown without thousands separators so they can be copied.

admin-menu = 🛠 <b>Admin</b> — what would you like to do?
admin-button-menu = ⬅️ Admin menu
admin-button-stats = 📊 Stats
admin-button-broadcast = 📣 Broadcast
admin-button-unknown = ⏳ Orders to settle
admin-button-users = 👤 Users
admin-button-catalog = 🗂 Catalog & prices
admin-button-sync = 🔄 Sync catalog
admin-users-help =
    <b>Users</b>
    <code>/user id</code> — a user's card
    <code>/addbalance id amount [reason]</code> — credit a balance
    <code>/subbalance id amount reason</code> — debit a balance
    <code>/ban id</code>, <code>/unban id</code> — block or allow a user
    Users see their id on their Balance screen.

## Users and balances

admin-user-usage = Usage: <code>/user user_id</code>
admin-user-card =
    👤 <b>User { NUMBER($user_id, useGrouping: 0) }</b>
    Name: { $name } ({ $username })
    Language: { $language }
    Balance: <b>{ $balance }</b>
    Orders: { $orders }
    Joined: { $created } UTC · Last seen: { $last_seen } UTC
    Banned: { $banned } · Blocked the bot: { $blocked }
admin-subbalance-usage = Usage: <code>/subbalance user_id amount reason</code>, e.g. <code>/subbalance 123456789 5 refund by card</code>. The reason is required and goes into the ledger.
admin-reason-too-long = ⚠️ The reason is { $length } characters long; keep it within { $maximum }: the customer reads it in their notice and in their balance history.
admin-subbalance-too-much = The balance is only { $balance }: a balance can't go below zero.
admin-balance-debited = ✅ Debited { $amount } from user { NUMBER($user_id, useGrouping: 0) }. Their balance: { $balance }.
balance-debited-notice = 💰 { $amount } was deducted from your balance ({ $reason }). Balance now: { $balance }.
admin-ban-usage = Usage: <code>/ban user_id</code> or <code>/unban user_id</code>
admin-ban-self = You can't ban yourself.
admin-banned = ⛔ User { NUMBER($user_id, useGrouping: 0) } is banned.
admin-unbanned = ✅ User { NUMBER($user_id, useGrouping: 0) } is no longer banned.

## Catalog and prices

admin-markup-usage =
    <code>/markup 25</code> — markup for everything, in percent
    <code>/markup category 12 40</code> — override for a category
    <code>/markup service 345 10</code> — override for a service
    <code>/markup service 345 reset</code> — remove an override
admin-markup-current = Global markup: <b>{ $percent }%</b>
admin-markup-global-set = ✅ Global markup is now <b>{ $percent }%</b>. Prices changed at once; orders already placed keep their price.
admin-markup-set = ✅ Markup for { $scope ->
    [category] category
   *[service] service
} { NUMBER($id, useGrouping: 0) } is now <b>{ $percent }%</b>.
admin-markup-reset = ✅ The { $scope ->
    [category] category
   *[service] service
} { NUMBER($id, useGrouping: 0) } follows the general markup again.
admin-catalog-not-found = There is no { $scope ->
    [category] category
   *[service] service
} { NUMBER($id, useGrouping: 0) }.
admin-hide-usage = Usage: <code>/hide category 12</code>, <code>/hide service 345</code>, <code>/show …</code> the same way.
admin-hidden = 🙈 { $scope ->
    [category] Category
   *[service] Service
} { NUMBER($id, useGrouping: 0) } is hidden from customers.
admin-shown = 👁 { $scope ->
    [category] Category
   *[service] Service
} { NUMBER($id, useGrouping: 0) } is shown to customers again.
admin-sync-done =
    🔄 <b>Catalog synced</b>
    Added: { $added } ({ $added_ids })
    Removed: { $removed } ({ $removed_ids })
    Changed: { $changed } ({ $changed_ids })
admin-sync-failed = ❌ The panel did not send its catalog: { $reason }. The previous catalog is kept.
admin-catalog-title = 🗂 <b>Catalog</b> — global markup { $percent }%
admin-catalog-line = <code>{ NUMBER($id, useGrouping: 0) }</code> · { $name } · { $count } services · hidden: { $hidden } · markup: { $markup }
admin-catalog-help = Use the category number with /markup, /hide and /show. Service numbers are the panel's service ids.

## Stats

stats-users = 👥 <b>Users</b>: { $total } (today +{ $today }, 7 days +{ $week }) · blocked the bot: { $blocked } · banned: { $banned }
stats-orders = 📦 <b>Orders</b>: { $active } active · { $by_status }
stats-today = <b>Today</b>: { $orders } orders · paid { $revenue } · cost { $cost } · profit <b>{ $profit }</b>
stats-week = <b>7 days</b>: { $orders } orders · paid { $revenue } · cost { $cost } · profit <b>{ $profit }</b>
stats-all-time = <b>All time</b>: { $orders } orders · paid { $revenue } · cost { $cost } · profit <b>{ $profit }</b>
stats-panel-balance = 🏦 Panel balance: <b>{ $balance }</b>
stats-panel-unavailable = unavailable right now
admin-alert-panel-balance = 🚨 <b>Panel balance is low</b>: { $balance } (alert under { $threshold }). Top up the panel so orders keep going through.

## Broadcasts

broadcast-ask-message = 📣 Send the message to broadcast: text, photo, video, document — with formatting and caption as you like. It will be copied exactly.
broadcast-cannot-copy = This message can't be broadcast ({ $reason }). Try another one.
broadcast-confirm = ☝️ This is how it will look. Send it to <b>{ $count }</b> users?
broadcast-paid-cost = ⭐ Paid broadcast, up to 1,000 messages a second: at most <b>{ $stars ->
    [one] { $stars } Star
   *[other] { $stars } Stars
}</b> from the bot's balance (0.1 Star per message).
broadcast-button-send = 📣 Send
broadcast-button-stop = ⏹ Stop
broadcast-discarded = Broadcast cancelled.
broadcast-already-running = Broadcast #{ $id } is still running. Wait for it to finish or stop it first.
broadcast-already-started = This broadcast was already started.
broadcast-started = 📣 Broadcast #{ $id } started: { $count } recipients.
broadcast-progress =
    📣 <b>Broadcast #{ $id }</b>
    Sent: { $sent } · failed: { $failed } · blocked: { $blocked } · left: { $left } of { $total }
    Rate: { $rate }/s · time left ≈ { $eta }
broadcast-summary =
    📣 <b>Broadcast #{ $id } { $status }</b>
    Sent: { $sent } · failed: { $failed } · blocked the bot: { $blocked } · not sent: { $left } of { $total }
broadcast-status-done = finished
broadcast-status-stopped = stopped
broadcast-stopped = Broadcast stopped.
broadcast-not-running = This broadcast is not running.

## Balances changed once per command

admin-balance-already-done = This command was carried out already: user { NUMBER($user_id, useGrouping: 0) }'s balance was changed once, and is not changed again.
