#pragma once
// Exact money: amounts in ten-thousandths (the scale of events.purchase_amount, numeric(18,4)) in a
// 128-bit integer, so a sum of any number of stored amounts neither rounds nor overflows (one
// amount < 10^18 units; 2^127 holds 10^20 of the largest). Pure functions: any thread.

#include <optional>
#include <string>
#include <string_view>

namespace eventhub::rollup {

using Money = __int128;
inline constexpr int kMoneyScale = 4;  // decimal places kept

// "12", "12.3", "12.3400", "-0.5" (as PostgreSQL prints numeric). nullopt when not a decimal or when
// it has more than 4 fraction digits or more than 30 integer digits.
std::optional<Money> parse_money(std::string_view text);

// "12.3400" (all 4 places): exact, for SQL numeric parameters and comparisons.
std::string money_exact(Money amount);
// "12.34": rounded half away from zero to 2 places, as PostgreSQL's round(x, 2) does: the JSON
// form of money in analytics answers.
std::string money_2dp(Money amount);

}  // namespace eventhub::rollup
