#include "libcommon/registry/login.h"

#include "libcommon/registry/client.h"
#include "libcommon/registry/registries_conf.h"
#include "libcommon/sys/error.h"

namespace ctr::registry {

std::string login_key(const std::string& server) {
    if (server.empty()) return std::string(kDockerHub);
    std::string key = normalize_auth_key(server);
    if (key.empty() || key.front() == '/') throw Error("invalid registry \"" + server + "\"");
    return key;
}

std::string login(const std::string& key, const Credentials& creds, const AccessFlags& flags) {
    if (creds.username.empty()) throw Error("log in to " + key + ": no user name given");
    if (creds.password.empty()) throw Error("log in to " + key + ": no password given");
    std::string domain = key.substr(0, key.find('/'));
    RegistriesConf conf = RegistriesConf::load(flags.registries_conf);
    ClientOptions options;
    options.creds = creds;
    options.insecure = conf.insecure(key) && !(flags.tls_verify && *flags.tls_verify);
    options.tls_verify = flags.tls_verify.value_or(true);
    options.cert_dir = flags.cert_dir;
    std::string path = key.find('/') == std::string::npos ? "" : key.substr(key.find('/') + 1);
    Client client(domain, path, options);
    client.check_access(path.empty() ? "" : "pull");
    AuthFiles files = AuthFiles::locate(flags.authfile);
    write_credentials(files.write, key, creds);
    return files.write;
}

std::string logout(const std::string& key, const AccessFlags& flags) {
    AuthFiles files = AuthFiles::locate(flags.authfile);
    if (erase_credentials(files.write, key)) return files.write;
    std::string elsewhere;
    for (size_t i = 1; i < files.read.size(); ++i)
        if (read_credentials(files.read[i], key)) elsewhere = files.read[i];
    if (!elsewhere.empty())
        throw Error("not logged in to " + key + " in " + files.write + "; the credentials in " + elsewhere +
                    " were made by another tool (docker logout removes them)");
    throw Error("not logged in to " + key);
}

std::string logout_all(const AccessFlags& flags) {
    AuthFiles files = AuthFiles::locate(flags.authfile);
    erase_all_credentials(files.write);
    return files.write;
}

}  // namespace ctr::registry
