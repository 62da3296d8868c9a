// Entry of signin.html.

import { mountSignIn } from "./app";

const root = document.getElementById("app");
if (root) void mountSignIn(root);
