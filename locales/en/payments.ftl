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
paysupport =
    💬 <b>Payments and refunds</b>

    Top-ups are paid with Telegram Stars and credited to your balance here at once. Unspent top-ups can be refunded in Stars: write to { $contact } with the receipt code from your payment message.

    Money already spent on orders is not refundable in Stars; if an order is not delivered in full, the undelivered part returns to your balance automatically.
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
