// The steps that change only the image config: no layer, one history entry,
// cached by the parent image and the step's words.
#include "libcommon/build/builder_impl.h"

#include "libcommon/dockerfile/instructions.h"

namespace ctr::build::detail {

// The instructions that change only the image config (each a step of its own,
// cached by its parent and its words): ARG, ENV, LABEL, CMD, ENTRYPOINT,
// USER, EXPOSE, VOLUME, STOPSIGNAL, SHELL, HEALTHCHECK, ONBUILD, MAINTAINER.
// False for any other instruction.
bool Builder::config_instruction(Stage& st, const Instruction& ins) {
    const std::string& kw = ins.keyword;
    auto vars = stage_vars(st);
    char esc = df_.escape;
    if (kw == "ARG") {
        std::vector<std::string> names;
        for (auto& [name, def] : dockerfile::parse_args(ins, vars, esc)) {
            std::optional<std::string> v = def;
            if (auto b = o_.build_args.find(name); b != o_.build_args.end()) v = b->second;
            else if (!def) {
                if (auto m = meta_args_.find(name); m != meta_args_.end()) v = m->second;
                else v = platform_arg(name);
            }
            st.args[name] = v;
            names.push_back(name + (def ? "=" + *def : ""));
            used_args_.insert(name);
        }
        config_step(st, nop("ARG " + join(names, " ")), [](json&) {});
        return true;
    }
    if (kw == "ENV") {
        auto kvs = dockerfile::parse_key_values(ins, vars, esc);
        std::vector<std::string> parts;
        for (auto& [k, v] : kvs) parts.push_back(k + "=" + v);
        config_step(st, nop("ENV " + join(parts, " ")), [&](json& c) {
            json env = c.contains("Env") && c["Env"].is_array() ? c["Env"] : json::array();
            for (auto& [k, v] : kvs) {
                bool replaced = false;
                for (auto& e : env)
                    if (e.is_string() && e.get<std::string>().substr(0, e.get<std::string>().find('=')) == k) {
                        e = k + "=" + v;
                        replaced = true;
                    }
                if (!replaced) env.push_back(k + "=" + v);
            }
            c["Env"] = env;
        });
        return true;
    }
    if (kw == "LABEL") {
        auto kvs = dockerfile::parse_key_values(ins, vars, esc);
        std::vector<std::string> parts;
        for (auto& [k, v] : kvs) parts.push_back(k + "=" + v);
        config_step(st, nop("LABEL " + join(parts, " ")), [&](json& c) {
            if (!c.contains("Labels") || !c["Labels"].is_object()) c["Labels"] = json::object();
            for (auto& [k, v] : kvs) c["Labels"][k] = v;
        });
        return true;
    }
    if (kw == "CMD" || kw == "ENTRYPOINT") {
        auto cmd = dockerfile::command_of(ins, st.shell);
        bool entry = kw == "ENTRYPOINT";
        bool reset_cmd = entry && !st.cmd_set;
        if (!entry) st.cmd_set = true;
        config_step(st, nop(kw + " " + json(cmd).dump()), [&](json& c) {
            c[entry ? "Entrypoint" : "Cmd"] = cmd;
            if (reset_cmd) c["Cmd"] = nullptr;
        });
        return true;
    }
    if (kw == "USER") {
        std::string user = dockerfile::expand_word(ins.args, vars, esc);
        config_step(st, nop("USER " + user), [&](json& c) { c["User"] = user; });
        return true;
    }
    if (kw == "EXPOSE") {
        std::vector<std::string> ports;
        for (auto& w : dockerfile::expand_words(ins.args, vars, esc)) {
            std::string proto = "tcp", p = w;
            if (auto s = w.find('/'); s != std::string::npos) {
                proto = w.substr(s + 1);
                p = w.substr(0, s);
            }
            for (auto& ch : proto) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            if (proto != "tcp" && proto != "udp" && proto != "sctp") fail(ins, "invalid proto: " + proto);
            auto dash = p.find('-');
            try {
                size_t pos;
                int lo = std::stoi(p.substr(0, dash), &pos);
                int hi = dash == std::string::npos ? lo : std::stoi(p.substr(dash + 1));
                if (lo < 0 || hi > 65535 || hi < lo) throw std::out_of_range(p);
                for (int i = lo; i <= hi; i++) ports.push_back(std::to_string(i) + "/" + proto);
            } catch (const std::exception&) {
                fail(ins, "invalid containerPort: " + w);
            }
        }
        config_step(st, nop("EXPOSE " + join(ports, " ")), [&](json& c) {
            if (!c.contains("ExposedPorts") || !c["ExposedPorts"].is_object()) c["ExposedPorts"] = json::object();
            for (auto& p : ports) c["ExposedPorts"][p] = json::object();
        });
        return true;
    }
    if (kw == "VOLUME") {
        std::vector<std::string> vols;
        if (ins.json) {
            for (auto& v : *ins.json) vols.push_back(dockerfile::expand_text(v, vars, esc));
        } else {
            vols = dockerfile::expand_words(ins.args, vars, esc);
        }
        for (auto& v : vols)
            if (v.empty()) fail(ins, "VOLUME specified can not be an empty string");
        config_step(st, nop("VOLUME [" + join(vols, " ") + "]"), [&](json& c) {
            if (!c.contains("Volumes") || !c["Volumes"].is_object()) c["Volumes"] = json::object();
            for (auto& v : vols) c["Volumes"][v] = json::object();
        });
        return true;
    }
    if (kw == "STOPSIGNAL") {
        std::string sig = dockerfile::expand_word(ins.args, vars, esc);
        config_step(st, nop("STOPSIGNAL " + sig), [&](json& c) { c["StopSignal"] = sig; });
        return true;
    }
    if (kw == "SHELL") {
        st.shell = *ins.json;
        config_step(st, nop("SHELL " + json(*ins.json).dump()), [&](json& c) { c["Shell"] = *ins.json; });
        return true;
    }
    if (kw == "HEALTHCHECK") {
        json hc = dockerfile::parse_healthcheck(ins, st.shell);
        config_step(st, nop("HEALTHCHECK " + hc.dump()), [&](json& c) { c["Healthcheck"] = hc; });
        return true;
    }
    if (kw == "ONBUILD") {
        Instruction inner = dockerfile::parse_instruction(ins.args, esc, df_.name, ins.line);
        std::string trigger = inner.keyword + ins.args.substr(std::min(ins.args.size(), ins.args.find_first_of(" \t")));
        config_step(st, nop("ONBUILD " + trigger), [&](json& c) {
            if (!c.contains("OnBuild") || !c["OnBuild"].is_array()) c["OnBuild"] = json::array();
            c["OnBuild"].push_back(trigger);
        });
        return true;
    }
    if (kw == "MAINTAINER") {
        std::string who = ins.args;
        std::string key = cache_key(st.image, nop("MAINTAINER " + who));
        if (auto hit = cached(key)) {
            use(st, *hit, true);
            return true;
        }
        json cfg = st.image.config;
        cfg["author"] = who;
        use(st, commit(st.image, cfg, std::nullopt, nop("MAINTAINER " + who), key), false);
        return true;
    }
    return false;
}

void Builder::config_step(Stage& st, const std::string& created_by, const std::function<void(json&)>& change) {
    std::string key = cache_key(st.image, created_by);
    if (auto hit = cached(key)) return use(st, *hit, true);
    json cfg = st.image.config;
    if (!cfg.contains("config") || !cfg["config"].is_object()) cfg["config"] = json::object();
    change(cfg["config"]);
    use(st, commit(st.image, cfg, std::nullopt, created_by, key), false);
}

}  // namespace ctr::build::detail
