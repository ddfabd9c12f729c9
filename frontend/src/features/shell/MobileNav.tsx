import { MenuIcon } from "lucide-react";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Button } from "@/components/ui/button";
import { Sheet, SheetContent, SheetDescription, SheetTitle, SheetTrigger } from "@/components/ui/sheet";
import { Nav } from "./Nav";

/** The navigation behind a menu button, for screens too narrow for the sidebar. */
export function MobileNav() {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  return (
    <Sheet open={open} onOpenChange={setOpen}>
      <SheetTrigger asChild>
        <Button variant="ghost" size="icon" className="md:hidden" aria-label={t("nav.openMenu")}>
          <MenuIcon aria-hidden="true" />
        </Button>
      </SheetTrigger>
      <SheetContent closeLabel={t("nav.closeMenu")} className="overflow-y-auto">
        <SheetTitle>{t("nav.menuTitle")}</SheetTitle>
        <SheetDescription className="sr-only">{t("nav.menuDescription")}</SheetDescription>
        <Nav
          onNavigate={() => {
            setOpen(false);
          }}
        />
      </SheetContent>
    </Sheet>
  );
}
