# Ids (orders, users, services) are written NUMBER($id, useGrouping: 0) so that they show as
# 123456789, not 123,456,789: people copy them, e.g. into /addbalance.

## Start and menu

welcome =
    👋 Hello, <b>{ $name }</b>!

    This shop delivers followers, likes, views and more for your social accounts.
    Pick a service, send a link, and pay from your balance — we'll tell you here whenever your order's status changes.
menu-title = 🏠 <b>Main menu</b> — what would you like to do?
menu-new-order = 🛒 New order
menu-my-orders = 📦 My orders
menu-balance = 💰 Balance
menu-language = 🌐 Language
menu-help = ❓ Help
help =
    <b>How it works</b>

    1. 🛒 <b>New order</b>: choose a category and a service.
    2. Send the link to your post, profile or channel.
    3. Say how many you want (the allowed range is shown).
    4. Check the price and press <b>Confirm</b> — the amount is taken from your balance.

    🔁 <b>Order again</b> on an order's card (📦 My orders) repeats it at today's price. Where a service offers it, 💧 <b>Drip-feed</b> on the confirmation card delivers the order in several runs, with a pause between them.

    You get a message here whenever an order changes status. If an order is delivered only partly or canceled, the undelivered part returns to your balance automatically.

    Commands: /order, /orders, /balance, /search, /promo, /invite, /mass, /language, /cancel, /menu.
flow-cancelled = ✖️ Canceled. Nothing was charged.
flow-nothing-to-cancel = There is nothing to cancel. Here is the menu.
banned = ⛔ Your access to this shop has been suspended. If you think this is a mistake, contact the shop owner.

## Buttons

button-back = ⬅️ Back
button-main-menu = 🏠 Main menu
button-previous = ◀️
button-next = ▶️
page-indicator = { $page }/{ $pages }
button-order-this = 🛒 Order this
button-cancel = ✖️ Cancel
button-confirm = ✅ Confirm and pay
button-top-up = 💰 How to top up
button-refresh = 🔄 Refresh
button-refill = ♻️ Refill
button-cancel-order = 🛑 Cancel order
button-outdated = This button is out of date. Please open the menu again with /menu.

## Bot commands (Telegram's command menu)

command-start = Start and main menu
command-order = Place a new order
command-orders = My orders
command-balance = My balance
command-language = Change language
command-help = How it works
command-cancel = Cancel what I'm doing

## Catalog

catalog-categories = 🛒 <b>Choose a category</b>
catalog-empty = The catalog is empty right now. Please try again a little later.
catalog-services = <b>{ $category }</b> — choose a service (prices per 1000):
catalog-category-gone = This category is no longer available.
service-button = { $name } · { $price }
service-unavailable = Sorry, this service is no longer available. Please choose another one.
service-card =
    <b>{ $name }</b>
    Category: { $category }
    Type: { $type }
    Price: <b>{ $price }</b> { $per_package ->
        [yes] per package
       *[no] per 1000
    }
    Quantity: { $min } – { $max }
    Refill: { $refill } · Cancel: { $cancel }

    { $description }

    { $howto }
service-type-default = Standard
service-type-package = Package
service-type-comments = Custom comments
service-type-poll = Poll votes
service-howto-default = ℹ️ Send a link, then the quantity you want.
service-howto-package = ℹ️ Send a link; the package has a fixed size and price.
service-howto-comments = ℹ️ Send a link, then your comments, one per line. Each line is one comment.
service-howto-poll = ℹ️ Send the link to the poll, the number of votes, then the number of the answer to vote for.
word-yes = yes
word-no = no
word-unknown = —

## Order flow

order-ask-link = 🔗 <b>{ $service }</b>

    Send the link (it must start with http:// or https://).
order-ask-link-telegram = 🔗 <b>{ $service }</b>

    Send the link to the channel, group or post: https://t.me/…, t.me/… or @username.
order-ask-quantity = 🔢 How many? Send a whole number from <b>{ $min }</b> to <b>{ $max }</b>.
    Price: { $price } per 1000.
order-ask-comments = 💬 Send your comments, one per line: from <b>{ $min }</b> to <b>{ $max }</b> lines.
order-ask-answer = 🗳 Which answer should get the votes? Send its number (1 for the first answer).
order-link-invalid = { $telegram ->
    [True] ⚠️ That doesn't look like a Telegram link. Send https://t.me/…, t.me/… or @username.
   *[other] ⚠️ That doesn't look like a link. Send a full address starting with http:// or https://.
}
order-quantity-invalid = ⚠️ Please send a whole number from { $minimum } to { $maximum }, digits only.
order-comments-invalid = ⚠️ Send from { $minimum } to { $maximum } comments, one per line (you sent { $count ->
    [one] { $count } line
   *[other] { $count } lines
}). Each comment can be up to 500 characters.
order-answer-invalid = ⚠️ Send the answer's number: a whole number from 1 to { $maximum }.
order-send-text = ✍️ Please send it as a text message.
order-press-confirm = Please press <b>Confirm</b> or <b>Cancel</b> on the card above.
confirm-card =
    🧾 <b>Please check your order</b>

    Service: <b>{ $service }</b>
    Link: { $link }
    Quantity: { $quantity }
    Price: <b>{ $price }</b>

    Balance now: { $balance }
    Balance after: { $after }
confirm-not-enough = ⚠️ Your balance is short by <b>{ $missing }</b>. Top up first, then press Confirm.
order-not-enough-balance =
    ⚠️ Not enough balance: you have { $balance }, you need <b>{ $missing }</b> more.
    Top up, then press Confirm again.
order-already-placed = This order has already been placed.
order-confirmation-expired = This confirmation is out of date. Please start the order again from the menu.
order-cancelled-before-payment = ✖️ Order canceled. Nothing was charged.
order-already-being-placed = ⏳ This order is already paid for and being placed: its result follows in a moment.
order-placed = ✅ <b>Order #{ NUMBER($id, useGrouping: 0) } placed!</b> We'll message you when its status changes.
order-refused =
    ❌ <b>The order could not be placed.</b>
    { $reason }
    The { $price } has been returned to your balance.
order-outcome-unknown =
    ⏳ <b>Order #{ NUMBER($order_id, useGrouping: 0) } is being verified.</b>
    The supplier did not answer in time, so we are checking whether it was accepted. You will get a message as soon as we know; if it wasn't accepted, the money returns to your balance.
panel-unavailable =
    ❌ The supplier can't be reached right now, so the order was not placed.
    The { $price } has been returned to your balance. Please try again in a few minutes.
refusal-supplier-funds = The supplier can't take orders for this service at the moment.
refusal-active-order = There is already an active order for this link. Please wait until it completes.
refusal-bad-link = The supplier did not accept this link. Check that it is correct and public.
refusal-quantity = The supplier did not accept this quantity.
refusal-service = This service is no longer available.
refusal-supplier-setup = The shop is being set up. Please try again later.
refusal-other = The supplier refused the order.

## My orders

orders-title = 📦 <b>Your orders</b> ({ $count })
orders-empty = You have no orders yet. Press 🛒 New order to place one.
orders-button = #{ NUMBER($id, useGrouping: 0) } · { $service } · { $status }
order-card =
    📦 <b>Order #{ NUMBER($id, useGrouping: 0) }</b>

    Service: { $service }
    Link: { $link }
    Quantity: { $quantity }
    Charge: { $charge }
    Status: <b>{ $status }</b>
    Start count: { $start_count }
    Remains: { $remains }
    Created: { $created } UTC
    Updated: { $updated } UTC
order-not-found = This order was not found.
order-refreshed = Status updated.
panel-busy = The supplier is not answering right now. Please try again in a minute.
order-refill-not-available = Refill is not available for this order.
order-refill-requested = ♻️ Refill requested. We'll keep you posted.
order-refill-refused = The supplier refused the refill: { $reason }
order-cancel-not-available = This order can't be canceled.
order-cancel-requested = 🛑 Cancellation requested. If the supplier cancels it, the money returns to your balance.
order-cancel-refused = The supplier refused to cancel: { $reason }
status-placing = being placed
status-unknown = being verified
status-failed = not placed (refunded)
status-pending = pending
status-in-progress = in progress
status-completed = completed
status-partial = partially delivered
status-canceled = canceled

## Balance

balance-title = 💰 Your balance: <b>{ $balance }</b>
balance-recent = <b>Recent movements</b>
ledger-line = { $date } · { $amount } · { $what }
ledger-order-charge = Order #{ NUMBER($order_id, useGrouping: 0) }
ledger-order-refund = Refund for order #{ NUMBER($order_id, useGrouping: 0) }
ledger-topup-stars = Top-up with Telegram Stars
ledger-topup-refund-stars = Telegram Stars top-up refunded
ledger-topup-refund-undone = Stars refund did not go through: the amount is back
ledger-admin-credit = Added by the shop
ledger-admin-credit-reason = Added by the shop: { $reason }
ledger-admin-debit = Deducted by the shop
ledger-admin-debit-reason = Deducted by the shop: { $reason }
ledger-other = Balance change
balance-how-to-top-up = Top up with ⭐ Telegram Stars below. Your id for the shop owner: <code>{ NUMBER($user_id, useGrouping: 0) }</code>.
balance-credited-notice = 💰 Your balance was topped up by <b>{ $amount }</b>. Balance now: { $balance }.

## Language

language-choose = 🌐 Choose your language:
language-saved = Language saved.

## Fallbacks and errors

fallback-text = I didn't get that. Please use the menu below.
fallback-unknown-command = I don't know that command. Here is the menu.
fallback-unsupported = I can only read text messages here. Please use the menu below.
error-generic = 😕 Something went wrong on our side. Please try again; if it keeps happening, contact the shop owner.

## Admin

admin-addbalance-usage = Usage: <code>/addbalance user_id amount [reason]</code>, e.g. <code>/addbalance 123456789 10.50</code>
admin-user-not-found = No user with id { NUMBER($user_id, useGrouping: 0) } has started the bot.
admin-balance-credited = ✅ Credited { $amount } to user { NUMBER($user_id, useGrouping: 0) }. Their balance: { $balance }.
admin-alert-unknown =
    ⚠️ <b>Order #{ NUMBER($order_id, useGrouping: 0) } needs checking</b>
    The panel's answer to the order request was lost ({ $detail }), so the order may or may not exist on the panel.
    User: <code>{ NUMBER($user_id, useGrouping: 0) }</code> · Service { NUMBER($service_id, useGrouping: 0) }: { $service }
    Link: { $link } · Quantity: { $quantity } · Paid: { $price }
    Check the panel, then settle it with /settle.
admin-alert-missing =
    ⚠️ <b>The panel does not know order #{ NUMBER($order_id, useGrouping: 0) }</b> ({ $detail }).
    User: <code>{ NUMBER($user_id, useGrouping: 0) }</code> · Service { NUMBER($service_id, useGrouping: 0) }: { $service }
    Link: { $link } · Quantity: { $quantity } · Paid: { $price }
    It is asked about again every round; if the panel still does not know it after the grace period (UNKNOWN_ORDER_GRACE_HOURS), it is listed in /unknown to settle.
admin-alert-supplier-funds =
    🚨 <b>Panel balance is too low</b>: order #{ NUMBER($order_id, useGrouping: 0) } ({ $service }, { $price }) was refused: { $detail }
    The user was refunded. Top up the panel account.
admin-alert-supplier-setup =
    🚨 <b>The panel refused the API key</b> for order #{ NUMBER($order_id, useGrouping: 0) }: { $detail }
    The user was refunded. Check SMM_API_KEY.
