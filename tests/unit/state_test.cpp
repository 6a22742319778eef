// ctr-run's per-container state directory: what `state`, `list` and
// `delete` see while a create is staging its state and after it commits.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "libcommon/runtime/state.h"

namespace fs = std::filesystem;
using ctr::runtime::ContainerDir;
using ctr::runtime::ContainerState;
using ctr::runtime::StateRoot;
using ctr::runtime::Status;

TEST_CASE("a staged state is invisible until it is committed") {
    char tmpl[] = "/tmp/ctr-state.XXXXXX";
    std::string root = mkdtemp(tmpl);
    {
        StateRoot r(root);
        ContainerDir dir = ContainerDir::create(r, "c1");
        ContainerState st;
        st.id = "c1";
        st.pid = getpid();
        st.bundle = "/b";
        st.config = {{"ociVersion", "1.0.2"}};
        dir.stage(st);
        CHECK_FALSE(dir.has_state());
        // The create holds the lock: anyone else sees it as being created.
        ContainerDir other = ContainerDir::open(r, "c1");
        CHECK(other.status(std::nullopt) == Status::Creating);
        dir.commit_staged();
        REQUIRE(dir.has_state());
        ContainerState back = other.load();
        CHECK(back.id == "c1");
        CHECK(back.bundle == "/b");
        CHECK(back.config["ociVersion"] == "1.0.2");
        CHECK_FALSE(fs::exists(root + "/c1/state.json.tmp"));
        dir.remove();
    }
    CHECK(fs::is_empty(root));
    fs::remove_all(root);
}
