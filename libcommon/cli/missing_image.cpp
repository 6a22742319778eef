#include "libcommon/cli/missing_image.h"

#include <string_view>

#include "libcommon/cli/main.h"

namespace ctr::cli {

namespace {

bool store_lacks(const store::Store& store, const std::string& ref) {
    try {
        store.resolve(ref);
        return false;
    } catch (const Error& e) {
        return std::string_view(e.what()).starts_with("No such image");
    }
}

}  // namespace

std::string how_to_get_image(const std::string& ref) {
    return "get it with `ctr-pull " + ref + "`, or make it from a root filesystem tar with `ctr-import FILE " + ref + "`";
}

std::string explain_missing_image(const store::Store& store, const std::string& ref,
                                  const std::function<std::string()>& body) {
    auto explain = [&](const std::string& what) {
        if (std::string_view(what).starts_with("No such image")) return what + ": " + how_to_get_image(ref);
        return "No such image: " + ref + "; pulling it failed: " + what + "; " + how_to_get_image(ref);
    };
    try {
        return body();
    } catch (const ExitError& e) {
        if (!store_lacks(store, ref)) throw;
        throw ExitError(e.code(), explain(e.what()));
    } catch (const Error& e) {
        if (!store_lacks(store, ref)) throw;
        throw Error(explain(e.what()));
    }
}

}  // namespace ctr::cli
