## Top-ups with Telegram Stars

command-topup = Top up with Telegram Stars
command-paysupport = Payments and refunds
button-top-up-stars = ⭐ Top up with Stars
button-history = 📜 History
topup-button-other = ✏️ Other amount
topup-choose =
    ⭐ <b>Top up with Telegram Stars</b>
    { $unit } = { $rate } ⭐. Choose an amount, or enter your own from { $minimum } to { $maximum }.
topup-ask-amount = ✏️ How much would you like to add? Send an amount, e.g. <code>15</code> or <code>7.50</code>.
topup-amount-invalid = ⚠️ Please send an amount as a number, e.g. <code>15</code> or <code>7.50</code>, from { $minimum } to { $maximum }.
topup-out-of-range = ⚠️ The amount must be from { $minimum } to { $maximum }.
topup-over-stars-limit = ⚠️ Telegram accepts at most { $limit } Stars in one payment, and this amount would be { $stars } Stars. Please top up a smaller amount.
topup-invoice-title = Balance top-up: { $amount }
topup-invoice-description = { $amount } will be added to your balance in the shop for { $stars } Telegram Stars.
topup-invoice-label = Top-up { $amount }
topup-receipt =
    ✅ <b>Payment received</b>
    +{ $amount } ({ $stars } ⭐) added to your balance.
    Balance now: <b>{ $balance }</b>
    Receipt: <code>{ $charge_id }</code>
topup-invalid-invoice = This invoice is no longer valid. Please create a new one with /topup.
topup-start-first = Please start the bot with /start first.
topup-refunded-notice = ↩️ Your payment of { $stars } ⭐ was refunded; { $amount } was taken off your balance.
paysupport-title =
    💬 <b>Payments and refunds</b>

    You pay for orders from your balance here and top it up with /topup, in one of these ways:
paysupport-stars = ⭐ <b>Telegram Stars</b>: credited at once. An unspent Stars top-up can be refunded in Stars: write to { $contact } with the receipt code from your payment message.
paysupport-cryptopay = 💎 <b>Crypto Pay</b> (@CryptoBot): pay the invoice within { $minutes } minutes in any of its coins; your balance is credited as soon as Crypto Pay reports it paid, in the shop's currency. If a paid invoice was not credited, or for a refund, write to { $contact } with the invoice number.
paysupport-manual = 🏦 <b>Bank transfer</b>: send proof of the transfer within { $minutes } minutes of making the request; an admin checks it and credits your balance, or tells you why not. For questions about a request, or a refund, write to { $contact } with its number.
paysupport-spent = Money already spent on orders is not refunded; if an order is not delivered in full, the undelivered part returns to your balance automatically.
paysupport-contact-admin = the shop owner
history-title = 📜 <b>Your balance history</b> ({ $count })
history-empty = Your balance has no movements yet.

## Admin

admin-refund-usage = Usage: <code>/refund charge_id</code> — the receipt code of a Stars payment.
admin-refund-not-found = There is no payment with that receipt code.
admin-refund-already = This payment was already refunded.
admin-refund-spent = The top-up was already spent: the balance is only { $balance }. Nothing was refunded.
admin-refund-refused = Telegram refused the refund: { $reason }. The balance is unchanged.
admin-refund-retry = Telegram did not confirm the refund ({ $reason }). The amount is held; send the same /refund again to finish it.
admin-refund-in-progress = A refund of this payment is already under way; send the same /refund again in a moment to see how it ended.
admin-refund-done = ✅ Refunded. { $amount } was taken off the user's balance and the Stars go back to them.
admin-refund-referral-taken = The referral bonus this payment earned user <code>{ $referrer }</code>, { $bonus }, was taken back.
admin-refund-referral-partly = The referral bonus this payment earned user <code>{ $referrer }</code> was { $bonus }: { $taken } was taken back; they had already spent the other { $kept }, which they keep (a balance never goes below zero).

## Payment rails: every way to top up

rail-stars = ⭐ Telegram Stars
rail-cryptopay = 💎 Crypto (Crypto Pay)
rail-manual = 🏦 Bank transfer
rail-unknown = method { $rail }
button-top-up-rails = 💰 Top up
balance-how-to-top-up-rails = Top up below in any of the ways the shop accepts. Your id for the shop owner: <code>{ NUMBER($user_id, useGrouping: 0) }</code>.
topup-rails =
    💰 <b>Top up your balance</b>
    Choose how to pay. Any amount from { $minimum } to { $maximum }.
topup-rail-off = This way to pay is not available any more. Please choose another one with /topup.
topup-credited =
    ✅ <b>Payment received</b>
    +{ $amount } ({ $rail }) added to your balance.
    Balance now: <b>{ $balance }</b>
    Top-up #{ $id }
topup-expired = ⌛ Invoice #{ $id } for { $amount } ({ $rail }) expired unpaid. Nothing was charged; create a new one with /topup whenever you like.
topup-manual-expired = ⌛ Request #{ $id } for { $amount } ({ $rail }) expired: no proof of the transfer arrived in time. Nothing was charged. If you did transfer the money, start a new request with /topup and send the proof there.
topup-rejected =
    ❌ Your top-up request #{ $id } for { $amount } was declined.
    Reason: { $reason }
    If you think this is a mistake, please write to the shop owner.
topup-not-paid = Top-up #{ $id } for { $amount } ({ $rail }) was not paid.
ledger-topup-cryptopay = Top-up with crypto (Crypto Pay)
ledger-topup-manual = Top-up by bank transfer, request #{ NUMBER($id, useGrouping: 0) }

topup-pay-link =
    💳 <b>Top-up #{ $id }</b>: { $amount } ({ $rail })
    Pay with the button below; your balance is credited as soon as the payment arrives.

topup-choose-rail =
    💳 <b>{ $rail }</b>
    Choose an amount, or enter your own from { $minimum } to { $maximum }.

## Crypto Pay

topup-choose-cryptopay =
    💎 <b>Pay with crypto</b> in @CryptoBot: { $assets }.
    Choose an amount, or enter your own from { $minimum } to { $maximum }.
cryptopay-invoice =
    💎 <b>Invoice #{ $id }</b>: { $amount }
    Pay it in @CryptoBot with any of: { $assets }. It is valid for { $minutes } minutes; your balance is credited as soon as it is paid.
cryptopay-button-pay = 💎 Pay { $amount }
cryptopay-refused = ⚠️ Crypto payments are not available in this shop right now. Please choose another way to pay.
cryptopay-unavailable = ⚠️ Crypto payments are not available right now: Crypto Pay does not answer. Please try again in a few minutes, or choose another way to pay.

## Manual transfers

topup-choose-manual =
    🏦 <b>Pay by bank transfer</b>
    Choose an amount, or enter your own from { $minimum } to { $maximum }. You then get the payment details and send us proof of the transfer.
manual-instructions =
    🏦 <b>Request #{ $id }</b>: transfer <b>{ $amount }</b>

    { $instructions }

    After the transfer, send here a screenshot, a document or a text with the payment details. An admin checks it and credits your balance. Without proof, the request expires in { $minutes } min.
manual-proof-kind = ⚠️ Please send proof of the transfer as a photo, a document or a text message.
manual-proof-received = 📨 Thank you! Request #{ $id } for { $amount } was sent to the shop. You will get a message as soon as it is checked.
manual-request-gone = This request no longer waits for proof. Start a new one with /topup.
manual-not-found = There is no top-up request #{ $id }.
manual-not-open = Request #{ $id } does not wait for a decision.
manual-already-approved = Request #{ $id } was already approved by { $admin }.
manual-already-rejected = Request #{ $id } was already rejected by { $admin }.
manual-review-card =
    🏦 <b>Top-up request #{ $id }</b>
    From: { $user } (<code>{ NUMBER($user_id, useGrouping: 0) }</code>)
    Amount: <b>{ $amount }</b>
    Sent: { $date }
    The proof is the message above.
manual-button-approve = ✅ Approve
manual-button-reject = ❌ Reject
manual-approved-by = ✅ Approved by { $admin }: { $amount } credited.
manual-rejected-by = ❌ Rejected by { $admin }. Reason: { $reason }
manual-approve-done = Approved: { $amount } credited to the customer.
manual-reject-ask-reason = ❌ Why is request #{ $id } ({ $amount }) declined? Send the reason: the customer will read it.
manual-reject-reason-text = Please send the reason as a text message.
manual-reject-done = Request #{ $id } declined; the customer was told why.
manual-pending-title = 🏦 <b>Top-up requests waiting for a decision</b> ({ $count })
manual-pending-line = Request #{ $id }: { $user } · <b>{ $amount }</b> · { $date }
manual-pending-empty = No top-up requests are waiting for a decision.
manual-button-approve-id = ✅ Approve #{ $id }
manual-button-reject-id = ❌ Reject #{ $id }

## /stats

stats-topups-title = 💳 <b>Top-ups by payment method</b>
stats-topups-today = Today: { $by_rail }
stats-topups-week = 7 days: { $by_rail }
stats-topups-all-time = All time: { $by_rail }
stats-topups-rail = { $rail }: { $amount } (paid: { $count })
