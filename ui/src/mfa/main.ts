// Entry of mfa.html.

import { mountMfa } from "./app";

const root = document.getElementById("app");
if (root) void mountMfa(root);
