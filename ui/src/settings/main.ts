// Entry of settings.html.

import { mountSettings } from "./app";

const root = document.getElementById("app");
if (root) void mountSettings(root);
