#pragma once

namespace roomkeeper {

// std::visit with one lambda per alternative: std::visit(Overloaded{[](A) {}, [](B) {}}, v).
template <class... Ts> struct Overloaded : Ts...
{
    using Ts::operator()...;
};
template <class... Ts> Overloaded(Ts...) -> Overloaded<Ts...>;

} // namespace roomkeeper
