// --set overrides: "key.path=value" applied to the description tree before validation.
#include "io/description/overrides.hpp"

#include <string>
#include <vector>

#include "core/error.hpp"

namespace apical::description {

void apply_override(const Messages& m, Tree& root, const std::string& text) {
    const std::string usage = "an override key.path=value (e.g. simulation.t_stop=200 ms)";
    const std::size_t eq = text.find('=');
    if (eq == std::string::npos) throw DescriptionError("--set", 0, 0, "", usage, quote(text));
    const std::string path(trim(std::string_view(text).substr(0, eq)));
    const std::string value(trim(std::string_view(text).substr(eq + 1)));
    auto bad = [&](const std::string& expected, const std::string& found) {
        throw DescriptionError("--set", 0, 0, path, one_line(expected), one_line(found));
    };
    if (path.empty()) throw DescriptionError("--set", 0, 0, "", usage, quote(text));

    // Steps: names separated by dots, each followed by any number of [index].
    struct Step {
        bool is_index;
        std::string key;
        std::size_t index;
    };
    std::vector<Step> steps;
    {
        std::size_t i = 0;
        const std::string form = "a key path such as populations.E.size or projections[0].weight";
        while (i <= path.size()) {
            std::size_t j = i;
            while (j < path.size() && path[j] != '.' && path[j] != '[' && path[j] != ']') ++j;
            const std::string key = path.substr(i, j - i);
            if (!key.empty())
                steps.push_back({false, key, 0});
            else if (j >= path.size() || path[j] != '[' || steps.empty())
                bad(form, quote(path));
            while (j < path.size() && path[j] == '[') {
                std::size_t k = j + 1, index = 0;
                const std::size_t digits_at = k;
                while (k < path.size() && path[k] >= '0' && path[k] <= '9' && k - digits_at < 9)
                    index = index * 10 + std::size_t(path[k++] - '0');
                if (k == digits_at || k >= path.size() || path[k] != ']') bad(form, quote(path));
                steps.push_back({true, "", index});
                j = k + 1;
            }
            if (j < path.size() && path[j] != '.') bad(form, quote(path));
            i = j + 1;
        }
    }

    Tree value_tree = m.parse_value(value, path);

    if (root.is_null()) root.kind = Tree::Kind::map;
    Tree* cur = &root;
    std::string where;  // the path walked so far
    for (std::size_t s = 0; s < steps.size(); ++s) {
        const Step& step = steps[s];
        Tree* next = nullptr;
        if (step.is_index) {
            if (!cur->is_seq())
                bad("a list at " + (where.empty() ? std::string("the top level") : where) + " to index",
                    describe(*cur));
            if (step.index >= cur->items.size())
                bad("an index below " + std::to_string(cur->items.size()) + " in " + where,
                    std::to_string(step.index));
            next = &cur->items[step.index];
            where = index_path(where, step.index);
        } else if (cur->is_seq()) {
            // A list entry by its name (projections and stimuli have names, given or default).
            std::vector<std::string> names;
            for (std::size_t i = 0; i < cur->items.size() && !next; ++i) {
                const Tree& item = cur->items[i];
                std::string n;
                if (item.is_map()) {
                    const Tree* nm = item.find("name");
                    const Tree* src = item.find("source");
                    const Tree* tgt = item.find("target");
                    const Tree* mdl = item.find("model");
                    if (nm && nm->is_scalar())
                        n = nm->text;
                    else if (where == "projections" && src && tgt && src->is_scalar() && tgt->is_scalar())
                        n = src->text + "->" + tgt->text;
                    else if (where == "stimuli" && mdl && mdl->is_scalar())
                        n = mdl->text + "_" + std::to_string(i);
                }
                if (!n.empty()) names.push_back(n);
                if (n == step.key) {
                    next = &cur->items[i];
                    where = index_path(where, i);
                }
            }
            if (!next)
                bad("the name of an entry of " + where + " " + one_of(names) +
                        (cur->items.empty()
                             ? std::string(" (the list is empty)")
                             : " or an index [0] to [" + std::to_string(cur->items.size() - 1) + "]"),
                    quote(step.key) + suggestion(step.key, names));
        } else {
            if (cur->is_null()) cur->kind = Tree::Kind::map;
            if (!cur->is_map()) bad("a mapping at " + where + " to look up " + quote(step.key), describe(*cur));
            next = cur->find(step.key);
            if (!next) {
                if (where == "populations") {
                    const auto names = cur->keys();
                    bad("the name of a population " + one_of(names),
                        quote(step.key) + suggestion(step.key, names));
                }
                cur->entries.push_back({step.key, Pos{}, Tree{}});
                next = &cur->entries.back().value;
            }
            where = key_path(where, step.key);
        }
        cur = next;
    }
    *cur = std::move(value_tree);
}

}  // namespace apical::description
