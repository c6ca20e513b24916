## Growth: referrals, promo codes, search, inline mode, mass orders

command-search = Find a service by words
command-promo = Redeem a promo code
command-invite = Your invite link and referral bonus
command-mass = Many orders at once

## Referrals

menu-invite = 👥 Invite friends
referral-welcome = 🤝 You joined through a friend's invite.
referral-off = The referral programme is not running at the moment.
referral-screen =
    👥 <b>Invite friends</b>

    Share your link. Whenever someone who joined through it tops up their balance, you get <b>{ $percent }%</b> of the top-up.

    Your link: { $link }

    Joined through your link: <b>{ $joined }</b>
    Earned: <b>{ $earned }</b>
referral-bonus-notice = 🎉 Referral bonus: <b>{ $amount }</b> added to your balance — someone you invited topped up.
ledger-referral = Referral bonus
ledger-referral-reversal = Referral bonus taken back (the payment was refunded)
ledger-promo = Promo code { $code }

## Promo codes

button-promo = 🎁 Promo code
promo-ask = 🎁 Send your promo code.
promo-credited = 🎁 Code <b>{ $code }</b> redeemed: <b>{ $amount }</b> added. Balance: { $balance }
promo-discount-saved = 🎁 Code <b>{ $code }</b> redeemed: <b>{ $percent }%</b> off your next order. You will see it on the order's confirmation card.
promo-discount-line = 🎁 Promo code <b>{ $code }</b>: { $percent }% off, −{ $discount } (already in the price).
promo-unknown = ⚠️ There is no such promo code, or it is no longer active. Check the spelling.
promo-expired = ⚠️ This promo code has expired.
promo-used-up = ⚠️ This promo code has been used up.
promo-already-redeemed = You have already used this promo code.
promo-discount-pending = You already have a discount waiting for your next order. Use it first, then redeem this code.
promo-too-many-attempts = ⏳ Too many wrong codes. Please wait { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
} and try again.
promo-discount-used = ⚠️ This discount was already used on another order. Nothing was charged: please start this order again.
promo-admin-usage =
    Promo codes:
    <code>/promo add CODE 5</code> — credits 5 at once
    <code>/promo add CODE 10%</code> — 10% off the next order
    options: <code>uses=N</code> (in total), <code>until=YYYY-MM-DD</code> (last valid day, UTC)
    <code>/promo list</code> — codes and uses so far
    <code>/promo off CODE</code> — switch a code off
promo-admin-bad-code = ⚠️ A code is 2–32 Latin letters, digits, _ or -.
promo-admin-bad-percent = ⚠️ A discount is more than 0% and less than 100%, e.g. 10% or 12.5%.
promo-admin-bad-amount = ⚠️ The amount must be a positive number, e.g. 5 or 2.50 (or a percent such as 10%).
promo-admin-bad-date = ⚠️ The date must be YYYY-MM-DD, today or later.
promo-admin-exists = ⚠️ The code { $code } exists already.
promo-admin-not-found = ⚠️ No active code { $code }.
promo-admin-created = ✅ Code <code>{ $code }</code>: { $value } · uses: { $uses } · until: { $until }
promo-admin-off = ✅ Code <code>{ $code }</code> is switched off.
promo-admin-list-empty = No promo codes yet.
promo-admin-list-title = 🎁 <b>Promo codes</b> (used / allowed)
promo-admin-list-line = <code>{ $code }</code> — { $value } · { $used }/{ $uses } · until { $until }{ $active ->
    [yes] {""}
   *[no] {" "}· off
}
promo-admin-value-percent = { $percent }% off the next order

## Search and inline mode

button-search = 🔎 Search
button-search-again = 🔎 New search
search-ask = 🔎 Send a few words from the service's name or category, e.g. <i>instagram likes</i>.
search-found = 🔎 Found for “{ $query }”: { $count }. Prices per 1000; the number is the service's ID.
search-nothing = 🔎 Nothing found for “{ $query }”. Try other or fewer words.
search-result-button = #{ $id } { $name } · { $price }
search-service-gone = This service is no longer available. Here is the menu.
service-card-id = 🆔 Service ID: <code>{ $id }</code> (for /mass)
inline-price = { $price } per 1000
inline-message =
    <b>{ $name }</b>
    { $category } · { $price } per 1000 · ID { $id }
inline-open-button = 🛒 Open in the shop
inline-nothing = Nothing found — open the shop

## Mass orders

mass-ask =
    📋 <b>Mass order</b>: send one order per line, as
    <code>service ID | link | quantity</code>
    e.g. <code>12 | https://instagram.com/p/abc | 1000</code>

    The service ID is on each service's card and in search results. Up to 100 lines; standard services and packages (for a package the quantity can be left out). Comments and polls are ordered one by one.
mass-empty = ⚠️ There are no order lines in that message.
mass-too-many = ⚠️ At most { $max } lines at once (you sent { $count }). Split them into several mass orders.
mass-too-long = ⚠️ That message is too long: at most { $max } lines at once.
mass-reason-format = write it as “service ID | link | quantity”
mass-reason-unknown-service = there is no service { $service_id } in the shop
mass-reason-type = “{ $service }” needs more than a quantity: order it on its own
mass-reason-link = the link is not valid
mass-reason-quantity = the quantity must be a whole number from { $min } to { $max }
mass-card-title = 📋 <b>Mass order</b> — { $valid } ready, { $invalid } with problems
mass-line-ok = ✅ { $number }. #{ $id } { $service } · × { $quantity } · <b>{ $price }</b>
mass-line-bad = ❌ { $number }. { $reason }
mass-more-lines = … and { $count } more lines
mass-card-total = Total: <b>{ $total }</b> · your balance: { $balance }
mass-card-short = ⚠️ Your balance is short by <b>{ $missing }</b>: lines are placed in order while it lasts.
mass-card-nothing = Nothing to order: fix the lines and send them again (/mass).
mass-press-confirm = Press Confirm or Cancel on the mass order card.
mass-confirmation-gone = This mass order was already confirmed, or is out of date.
mass-cancelled = ✖️ Mass order canceled. Nothing was charged.
mass-placing = ⏳ Placing { $count ->
    [one] { $count } order
   *[other] { $count } orders
}…
mass-summary-title = 📋 <b>Mass order</b>
mass-summary-total = Charged: <b>{ $charged }</b> · balance now: { $balance }
mass-outcome-placed = ✅ { $number }. { $service } — order #{ $id } placed
mass-outcome-unknown = ⏳ { $number }. { $service } — order #{ $id } is being verified; we will message you
mass-outcome-already = ☑️ { $number }. { $service } — already placed
mass-outcome-refused = ❌ { $number }. { $service } — not placed, nothing charged: { $reason }
mass-outcome-no-balance = not enough balance
mass-outcome-panel-down = the supplier could not be reached
mass-outcome-discount-used = its discount was already used on another order
